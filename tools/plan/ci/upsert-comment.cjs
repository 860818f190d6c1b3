/**
 * For actions/github-script: posts the plan review comment on the pull request, or updates the one that
 * starts with the same marker (the comment's first line), so a pull request has one plan comment.
 * `github` is Octokit as github-script passes it; `context` its context.
 */
'use strict';
const fs = require('node:fs');

module.exports = async function upsertComment({ github, context, file = 'cdktf.out/plan/comment.md' }) {
  const body = fs.readFileSync(file, 'utf8');
  const marker = body.split('\n')[0];
  if (!marker.startsWith('<!--')) throw new Error(`${file} does not start with a marker comment`);
  const { owner, repo } = context.repo;
  const issue_number = context.payload.pull_request.number;
  const comments = await github.paginate(github.rest.issues.listComments, { owner, repo, issue_number, per_page: 100 });
  const existing = comments.find((c) => typeof c.body === 'string' && c.body.startsWith(marker));
  if (existing) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
    return { updated: existing.id };
  }
  const created = await github.rest.issues.createComment({ owner, repo, issue_number, body });
  return { created: created.data.id };
};
