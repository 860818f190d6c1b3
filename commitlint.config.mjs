// Commit messages: a subject line of at most 72 characters, a blank line, then a body that says why.
// No Conventional Commits prefix is required, so only these rules apply (nothing is extended).
export default {
  rules: {
    'header-max-length': [2, 'always', 72],
    'header-trim': [2, 'always'],
    'body-leading-blank': [2, 'always'],
    'body-empty': [2, 'never'],
  },
  helpUrl: 'CONTRIBUTING.md#commit-messages',
};
