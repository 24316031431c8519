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
