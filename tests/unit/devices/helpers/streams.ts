/** stdout and stderr for a command run in-process, collecting what it writes. */
import { PassThrough } from "node:stream";

export interface CapturedStreams {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Everything written so far. */
  out(): string;
  err(): string;
}

export function captureStreams(): CapturedStreams {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += String(c)));
  stderr.on("data", (c) => (err += String(c)));
  return {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stderr: stderr as unknown as NodeJS.WriteStream,
    out: () => out,
    err: () => err,
  };
}
