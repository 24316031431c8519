import { dirname, resolve } from "node:path";
/**
 * The shared shape of every task: parse options strictly, run, and turn user errors into one
 * line on stderr and exit code 1.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { describeFileSystemRefusal, UserError } from "./errors.ts";
import { describeWasmExhaustion } from "./worker_failure.ts";

/** Option declarations as `node:util` `parseArgs` takes them. */
export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** Parsed command line: option values by name and positional arguments. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses `args` strictly (unknown options are errors) and reports problems as UserError. */
export function parseTaskArgs(args: string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { help: { type: "boolean", short: "h" }, ...options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (error) {
    const message = (error as Error).message.split("\n")[0];
    // node:util reads "--lr -1" as an option followed by another: say how to give the value.
    const ambiguous = /Option '(--[\w-]+)[^']*' argument is ambiguous/.exec(message);
    if (ambiguous) {
      throw new UserError(
        `${ambiguous[1]}: a value starting with "-" must be written ${ambiguous[1]}=VALUE`,
      );
    }
    throw new UserError(message);
  }
}

/** Runs a task's main function, printing user errors as one line and exiting non-zero. */
export async function runTask(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    if (error instanceof UserError) {
      console.error(`${name}: error: ${error.message}`);
      Deno.exit(1);
    }
    // A place the machine refuses (no permission, a read-only or full disk) is the user's to fix.
    const refused = describeFileSystemRefusal(error);
    if (refused) {
      console.error(`${name}: error: ${refused}`);
      Deno.exit(1);
    }
    const exhausted = describeWasmExhaustion(error);
    if (exhausted) {
      console.error(`${name}: error: ${exhausted}`);
      Deno.exit(1);
    }
    console.error(`${name}: internal error:`, error);
    Deno.exit(2);
  }
}

/** Reads an option as a string, or undefined. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === "string" ? v : undefined;
}

/**
 * A path the user typed, resolved from the folder the command was typed in: `deno task` runs
 * tasks from the project root and keeps the shell's folder in `INIT_CWD`.
 */
export function userPath(path: string): string {
  return resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), path);
}

/**
 * Checks that `path` can be written as a file: not an existing folder, and no file where a
 * parent folder would have to be. `what` names it in the error (e.g. "--out").
 */
export function assertFilePath(path: string, what: string): void {
  assertNoFileAbove(path, what);
  try {
    if (Deno.statSync(path).isDirectory) {
      throw new UserError(`${what}: ${path} is a folder; give a file name`);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
  }
}

/** Checks that no ancestor of `path` is a file (so its folders can be created). */
export function assertNoFileAbove(path: string, what: string): void {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      if (!Deno.statSync(dir).isDirectory) {
        throw new UserError(`${what}: ${path} cannot be created: ${dir} is a file`);
      }
      return; // the nearest existing ancestor is a folder
    } catch (error) {
      if (error instanceof UserError) throw error;
    }
  }
}

/** Reads a path option (resolved with {@linkcode userPath}), or undefined. */
export function pathOption(args: ParsedArgs, name: string): string | undefined {
  const v = stringOption(args, name);
  return v === undefined ? undefined : userPath(v);
}

/** Reads an option as an integer within [min, max], or undefined when absent. */
export function intOption(
  args: ParsedArgs,
  name: string,
  range: { min?: number; max?: number } = {},
): number | undefined {
  const raw = stringOption(args, name);
  if (raw !== undefined && !/^-?\d+$/.test(raw.trim())) {
    throw new UserError(`--${name}: "${raw}" is not an integer`);
  }
  const value = numberOption(args, name, range);
  if (value !== undefined && !Number.isSafeInteger(value)) {
    throw new UserError(
      `--${name}: ${raw} is out of range [${range.min ?? -Infinity}, ${range.max ?? Infinity}]`,
    );
  }
  return value;
}

/** Reads an option as a finite number within [min, max], or undefined when absent. */
export function numberOption(
  args: ParsedArgs,
  name: string,
  range: { min?: number; max?: number } = {},
): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw.trim());
  if (raw.trim() === "" || !Number.isFinite(value)) {
    throw new UserError(`--${name}: "${raw}" is not a number`);
  }
  const { min = -Infinity, max = Infinity } = range;
  if (value < min || value > max) {
    throw new UserError(`--${name}: ${raw} is out of range [${min}, ${max}]`);
  }
  return value;
}

/** Reads an option that must be one of `choices`, or undefined. */
export function choiceOption<T extends string>(
  args: ParsedArgs,
  name: string,
  choices: readonly T[],
): T | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new UserError(`--${name}: "${raw}" is not one of ${choices.join(", ")}`);
  }
  return raw as T;
}

/** Parses a duration such as "90s", "30m", "1h30m" or "2h" into seconds. */
export function parseDuration(text: string, optionName = "duration"): number {
  const match = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(
    text.trim(),
  );
  if (!match || text.trim() === "" || match.slice(1).every((g) => g === undefined)) {
    throw new UserError(`--${optionName}: "${text}" is not a duration like 90s, 30m or 1h30m`);
  }
  const [h, m, s] = match.slice(1).map((g) => Number(g ?? 0));
  return h * 3600 + m * 60 + s;
}

/** Validates an experiment name: letters, digits and underscores only. */
export function validateExperimentName(name: string | undefined): string {
  if (name === undefined || name === "") {
    throw new UserError("missing experiment name (e.g. `deno task train my_experiment`)");
  }
  if (name.length > 100) {
    throw new UserError(
      `experiment name "${
        name.slice(0, 20)
      }..." is ${name.length} characters long: use at most 100`,
    );
  }
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new UserError(
      `experiment name "${name}" is invalid: use only letters, digits and underscores`,
    );
  }
  return name;
}

/**
 * `word` as a shell reads it back: as it is when it holds only plain characters, else quoted
 * (for recording the command that made a result).
 *
 * @example
 * ```ts
 * ["deno task train", ...Deno.args.map(shellWord)].join(" ");
 * ```
 */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}
