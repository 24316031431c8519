/**
 * A problem with the user's input (a path, a file, an option value) rather than a bug.
 * Tasks print its message as one line and exit with a non-zero code, without a stack trace.
 */
export class UserError extends Error {
  /** Creates the error; `message` must name the offending file, value or option. */
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/** Refusals of the file system that the machine's state causes, by errno code. */
const REFUSALS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
};

/**
 * What the file system refused, in words, when `error` is a refusal caused by the machine rather
 * than the code (no permission, a read-only or full disk); undefined for anything else.
 */
export function fileSystemRefusal(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  // A folder that cannot be made where asked (under /proc, or a path through a missing mount):
  // mkdir with parents reports ENOENT.
  if (code === "ENOENT" && /: mkdir '/.test(String((error as Error).message ?? ""))) {
    return "a folder cannot be created there";
  }
  return typeof code === "string" ? REFUSALS[code] : undefined;
}

/**
 * One line for a file system refusal (see {@linkcode fileSystemRefusal}) naming the path Deno's
 * message names, e.g. "cannot write /srv/out.html: permission denied"; undefined for other errors.
 */
export function describeFileSystemRefusal(error: unknown): string | undefined {
  const refusal = fileSystemRefusal(error);
  if (refusal === undefined) return undefined;
  const message = String((error as Error).message ?? "");
  // Deno: "Permission denied (os error 13): writefile '/srv/out.html'".
  const found = /: ([a-z]+) '([^']*)'/.exec(message);
  if (!found) return `${refusal} (${message.split("\n")[0]})`;
  const verb = found[1] === "mkdir"
    ? "create the folder"
    : /^(remove|rename|copy|stat|lstat|readdir|readfile|realpath)$/.test(found[1])
    ? found[1].replace("readfile", "read").replace("readdir", "read the folder")
    : "write";
  return `cannot ${verb} ${found[2]}: ${refusal}`;
}
