/**
 * Streaming line reader for plain and gzip files. Gzip is recognised by its magic bytes, not
 * the name. Lines are produced in batches (one per decompressed chunk) so large files are never
 * held in memory whole and the per-line cost stays synchronous.
 */
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import { DataFileError } from "./errors.js";

/** True if the file starts with the gzip magic bytes 1f 8b. */
export function isGzipFile(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(2);
    const n = readSync(fd, b, 0, 2, 0);
    return n === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

export function checkReadable(file: string): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(file);
  } catch {
    throw new DataFileError("DATA_FILE_NOT_FOUND", `${file}: no such file`, { file });
  }
  if (!st.isFile()) throw new DataFileError("DATA_FILE_NOT_FOUND", `${file}: not a regular file`, { file });
}

function zlibError(file: string, e: unknown, linesSoFar: number): DataFileError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === "Z_BUF_ERROR" || /unexpected end of file/i.test(err.message)) {
    return new DataFileError(
      "DATA_TRUNCATED",
      `${file}: gzip data is truncated (unexpected end of file after ${linesSoFar} complete lines); the file is incomplete`,
      { file, line: linesSoFar },
    );
  }
  if (typeof err.code === "string" && err.code.startsWith("Z_")) {
    return new DataFileError(
      "DATA_CORRUPT",
      `${file}: gzip data is corrupt (${err.message}) after ${linesSoFar} lines`,
      {
        file,
        line: linesSoFar,
      },
    );
  }
  return new DataFileError("DATA_READ_ERROR", `${file}: read failed: ${err.message}`, { file });
}

/** Yields the file's lines in batches, without line terminators (`\n` or `\r\n`). */
export async function* readLineBatches(file: string): AsyncGenerator<string[]> {
  checkReadable(file);
  const gz = isGzipFile(file);
  const input = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = gz ? input.pipe(createGunzip({ chunkSize: 1 << 20 })) : input;
  if (gz) input.on("error", (e) => stream.destroy(e));
  const decoder = new StringDecoder("utf8");
  let rest = "";
  let count = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = rest + decoder.write(chunk);
      const batch: string[] = [];
      let start = 0;
      for (;;) {
        const nl = text.indexOf("\n", start);
        if (nl < 0) break;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        batch.push(text.slice(start, end));
        start = nl + 1;
      }
      rest = text.slice(start);
      count += batch.length;
      if (batch.length > 0) yield batch;
    }
  } catch (e) {
    if (e instanceof DataFileError) throw e;
    throw zlibError(file, e, count);
  } finally {
    input.destroy();
  }
  rest += decoder.end();
  if (rest.length > 0) yield [rest.endsWith("\r") ? rest.slice(0, -1) : rest];
}

/** The first `maxBytes` of the (decompressed) file as text, for format detection. */
export async function readHead(file: string, maxBytes = 64 * 1024): Promise<string> {
  checkReadable(file);
  const gz = isGzipFile(file);
  const input = createReadStream(file, { highWaterMark: 64 * 1024 });
  const stream = gz ? input.pipe(createGunzip()) : input;
  if (gz) input.on("error", (e) => stream.destroy(e));
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      parts.push(chunk);
      n += chunk.length;
      if (n >= maxBytes) break;
    }
  } catch (e) {
    // A truncated gzip is reported by the full read with the line count; the head is usable.
    if (n === 0) throw zlibError(file, e, 0);
  } finally {
    input.destroy();
    stream.destroy();
  }
  return new StringDecoder("utf8").write(Buffer.concat(parts).subarray(0, maxBytes));
}

/** The whole (decompressed) file as text; for formats that are one JSON document. */
export async function readAllText(file: string): Promise<string> {
  const parts: string[] = [];
  for await (const batch of readLineBatches(file)) parts.push(batch.join("\n"));
  return parts.join("\n");
}
