// What every verb receives from main(), and the error type for bad command lines.

export interface ControlPlaneAddress {
  host: string;
  port: number;
  /** As shown to users: "127.0.0.1:15014" or "[::1]:15014". */
  display: string;
}

export interface CliContext {
  controlPlane: ControlPlaneAddress;
  /** Writes text plus a newline to stdout. */
  out(text: string): void;
  /** Writes text plus a newline to stderr. */
  err(text: string): void;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** A command line we cannot run: main prints it with a pointer to help and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly verb?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const DEFAULT_CONTROL_PLANE = '127.0.0.1:15014';
