/**
 * A source file as the code it is, for hashing: without its comments, blank lines, indentation
 * or formatting, so that a comment edit or a `deno fmt` run changes no key (see
 * `code_fingerprint.ts`). The text is read as tokens: string and template literals and regular
 * expressions are kept as they are (a `//` in a URL or a pattern is not a comment), the rest is
 * written with a space only where two words or two operators meet (C keeps its line breaks, which
 * its preprocessor reads). Of a script, what `deno fmt` adds or changes when it rewraps a line is
 * undone too: a comma or semicolon before a closing bracket, a type's leading `|` or `&`, single
 * quotes (a string without double quotes is written in double quotes). Braces it adds around a
 * one-statement body when a line gets too long do count (they change the syntax tree).
 *
 * @example
 * ```ts
 * normalizeSource('const a = [1, 2,]; // two\n', "script"); // 'const a=[1,2];'
 * normalizeSource('const u = "https://x.org"; /* a link *\/\n', "script"); // 'const u="https://x.org";'
 * ```
 * @module
 */

/** How a file's text is read: TypeScript or JavaScript, or C (whose line breaks are kept). */
export type SourceLanguage = "script" | "c";

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;
/** Characters of operators (runs of them are one token); `/` is a token of its own. */
const OPERATOR = new Set("+-*%&|^!~<>=?.:@#\\");
const BRACKETS = new Set("()[]{},;");
/** Words after which a `/` starts a regular expression, not a division. */
const BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);
/** Tokens after which a `|` or `&` can only be a type's leading one. */
const LEADING = new Set([":", "=", "(", "<", ",", "[", "|", "&"]);
/** Marks a line break between tokens (C only). */
const NEWLINE = "\n";

/** The normalised code of a source file's text (see the module's description). */
export function normalizeSource(text: string, language: SourceLanguage): string {
  const tokens = tokenize(text, language);
  const lines: string[] = [];
  let line = "";
  let previous = "";
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === NEWLINE) {
      if (line !== "") lines.push(line);
      line = "";
      previous = "";
      continue;
    }
    // What `deno fmt` adds when it breaks a line means nothing: a trailing comma, a semicolon
    // before a closing brace (a type's last member), a union's or intersection's leading bar.
    if (language === "script") {
      const next = nextToken(tokens, i) ?? "";
      if (token === "," && previous !== "," && /^[)\]}]/.test(next)) continue;
      if (token === ";" && next === "}") continue;
      if ((token === "|" || token === "&") && LEADING.has(previous)) continue;
    }
    if (previous !== "" && kind(previous) === kind(token) && kind(token) !== "other") line += " ";
    line += token;
    previous = token;
  }
  if (line !== "") lines.push(line);
  return lines.join("\n");
}

/** The token after `i`, across line breaks. */
function nextToken(tokens: string[], i: number): string | undefined {
  for (let j = i + 1; j < tokens.length; j++) if (tokens[j] !== NEWLINE) return tokens[j];
  return undefined;
}

/** Words and operators need a space between two of a kind; brackets and literals never do. */
function kind(token: string): "word" | "operator" | "other" {
  if (WORD.test(token[0])) return "word";
  if (token === "/" || OPERATOR.has(token[0])) return "operator";
  return "other";
}

/** Strings, template literals (and their parts after a `${...}`) and regular expressions. */
function isLiteral(token: string): boolean {
  return token[0] === '"' || token[0] === "'" || token[0] === "`" ||
    ((token[0] === "/" || token[0] === "}") && token.length > 1);
}

/** The tokens of `text`: words, operator runs, brackets and literals; comments and spaces gone. */
function tokenize(text: string, language: SourceLanguage): string[] {
  const script = language === "script";
  const out: string[] = [];
  // Open braces, and for each template literal's open `${` the brace depth it resumes at.
  let depth = 0;
  const templates: number[] = [];
  let i = 0;
  const n = text.length;

  /** Reads a template literal's text from `start` (a backquote or the `}` ending a `${`). */
  const template = (start: number) => {
    let j = start + 1;
    while (j < n) {
      const c = text[j];
      if (c === "\\") j += 2;
      else if (c === "`") {
        out.push(text.slice(start, j + 1));
        return j + 1;
      } else if (c === "$" && text[j + 1] === "{") {
        out.push(text.slice(start, j + 2));
        templates.push(depth);
        depth++;
        return j + 2;
      } else j++;
    }
    out.push(text.slice(start));
    return n;
  };

  while (i < n) {
    const c = text[i];
    if (c === "\n") {
      if (!script) out.push(NEWLINE);
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? n : end;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      // An unterminated one ends at the line's end (the line break is not part of it).
      const closed = j < n && text[j] === c;
      const literal = text.slice(i, closed ? j + 1 : Math.min(j, n));
      out.push(script && c === "'" && closed ? doubleQuoted(literal) : literal);
      i = closed ? j + 1 : j;
    } else if (script && c === "`") {
      i = template(i);
    } else if (script && c === "}" && templates.length > 0 && templates.at(-1) === depth - 1) {
      templates.pop();
      depth--;
      i = template(i);
    } else if (script && c === "/" && regexAllowed(out)) {
      const end = regexEnd(text, i);
      if (end === undefined) {
        out.push("/");
        i++;
      } else {
        out.push(text.slice(i, end));
        i = end;
      }
    } else if (WORD.test(c)) {
      let j = i + 1;
      while (j < n && WORD.test(text[j])) j++;
      out.push(text.slice(i, j));
      i = j;
    } else if (BRACKETS.has(c)) {
      if (c === "{") depth++;
      if (c === "}") depth--;
      out.push(c);
      i++;
    } else if (c === "/") {
      out.push("/");
      i++;
    } else {
      let j = i + 1;
      while (j < n && OPERATOR.has(text[j])) j++;
      out.push(text.slice(i, j));
      i = j;
    }
  }
  return out;
}

/** `'text'` as `"text"` where that needs no escape (as `deno fmt` writes it). */
function doubleQuoted(literal: string): string {
  const inner = literal.slice(1, -1);
  if (inner.includes('"') || !literal.endsWith("'") || literal.length < 2) return literal;
  return `"${inner.replaceAll("\\'", "'")}"`;
}

/** Whether a `/` after these tokens starts a regular expression (not a division). */
function regexAllowed(tokens: string[]): boolean {
  const previous = tokens.at(-1);
  if (previous === undefined) return true;
  if (WORD.test(previous[0])) return BEFORE_EXPRESSION.has(previous);
  if (isLiteral(previous)) return previous.endsWith("${");
  return previous !== ")" && previous !== "]";
}

/** The end (exclusive, flags included) of the regular expression at `start`, if it is one. */
function regexEnd(text: string, start: number): number | undefined {
  let inClass = false;
  let j = start + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === "\n") return undefined;
    if (c === "\\") {
      j += 2;
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") inClass = true;
    else if (c === "/") break;
    j++;
  }
  if (j >= text.length) return undefined;
  j++;
  while (j < text.length && /[a-z]/.test(text[j])) j++;
  return j;
}
