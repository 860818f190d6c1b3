/**
 * Strings of Terraform JSON syntax as HCL native syntax.
 *
 * In JSON syntax most strings are templates: literal text with `${expr}` interpolations and `%{...}`
 * directives (`$${` and `%%{` escape them). The same template inside an HCL quoted string needs only the
 * literal text escaped (`"`, `\`, control characters); the text inside `${...}` is HCL expression source
 * and is copied as is. A string that is one interpolation and nothing else becomes the bare expression,
 * as `terraform fmt` would write it.
 */

/** One piece of a template: literal text, or the source of an interpolation or directive (with its braces). */
type Part = { kind: 'literal'; text: string } | { kind: 'interpolation' | 'directive'; text: string; inner: string };

/** Index just past the `}` that closes the expression starting at `start` (just after `${` or `%{`). */
function closeOf(s: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < s.length) {
    const c = s[i];
    if (c === '"') {
      i = endOfQuoted(s, i + 1);
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i + 1;
      depth--;
    }
    i++;
  }
  throw new Error(`unterminated template sequence in ${JSON.stringify(s)}`);
}

/** Index just past the closing `"` of a quoted string in an expression that starts at `start`. */
function endOfQuoted(s: string, start: number): number {
  let i = start;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '"') return i + 1;
    if ((c === '$' || c === '%') && s[i + 1] === '{') {
      if (s[i - 1] === c) {
        i += 2; // $${ or %%{: an escape, not a sequence
        continue;
      }
      i = closeOf(s, i + 2);
      continue;
    }
    i++;
  }
  throw new Error(`unterminated string inside a template expression in ${JSON.stringify(s)}`);
}

export function parseTemplate(s: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{') {
      literal += `${c}${c}{`; // kept escaped: HCL quoted strings use the same escape
      i += 3;
      continue;
    }
    if ((c === '$' || c === '%') && s[i + 1] === '{') {
      if (literal !== '') parts.push({ kind: 'literal', text: literal });
      literal = '';
      const end = closeOf(s, i + 2);
      parts.push({
        kind: c === '$' ? 'interpolation' : 'directive',
        text: s.slice(i, end),
        inner: s.slice(i + 2, end - 1),
      });
      i = end;
      continue;
    }
    literal += c;
    i++;
  }
  if (literal !== '') parts.push({ kind: 'literal', text: literal });
  return parts;
}

function escapeLiteral(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/**
 * Spaces an expression as `terraform fmt` does where cdktf writes it otherwise: its for-expressions come as
 * `[ for k, v in x: v.y]`, fmt writes `[for k, v in x : v.y]`. Quoted strings inside are left alone.
 */
export function formatExpression(expr: string): string {
  if (!/\bfor\b/.test(expr)) return expr;
  let out = '';
  let i = 0;
  while (i < expr.length) {
    if (expr[i] === '"') {
      const end = endOfQuoted(expr, i + 1);
      out += expr.slice(i, end);
      i = end;
      continue;
    }
    let j = i;
    while (j < expr.length && expr[j] !== '"') j++;
    out += expr
      .slice(i, j)
      .replace(/\[\s+for\s/g, '[for ')
      .replace(/([^\s:?]):(?=\s)/g, '$1 :');
    i = j;
  }
  return out;
}

/** A JSON-syntax template string as an HCL expression. */
export function templateExpression(s: string): string {
  const parts = parseTemplate(s);
  const [only] = parts;
  // "${expr}" alone is expr (its value keeps its type); a strip marker (${~ or ~}) changes nothing here.
  if (parts.length === 1 && only?.kind === 'interpolation' && !/^~|~$/.test(only.inner)) {
    return formatExpression(only.inner.trim());
  }
  return `"${parts.map((p) => (p.kind === 'literal' ? escapeLiteral(p.text) : p.text)).join('')}"`;
}

/** A string that Terraform reads literally (no templates) as an HCL quoted string. */
export function literalString(s: string): string {
  return `"${escapeLiteral(s)
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, () => '%%{')}"`;
}

/** A reference written as a JSON string (`depends_on`, `ignore_changes`): `"aws_x.y"` or `"${aws_x.y}"`. */
export function referenceExpression(s: string): string {
  const parts = parseTemplate(s);
  const [only] = parts;
  if (parts.length === 1 && only?.kind === 'interpolation') return only.inner.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_.\-[\]"*]*$/.test(s)) throw new Error(`not a reference: ${JSON.stringify(s)}`);
  return s;
}
