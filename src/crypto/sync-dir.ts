import { closeSync, fsyncSync, openSync } from "node:fs";

/**
 * Persists a directory's entries (a new or renamed secret file): losing one in a crash could orphan every
 * secret sealed under a key, or leave a token nobody can read. Best effort: some platforms (Windows) cannot
 * fsync a directory, and the file itself is synced by its writer.
 */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // See above: the file's own fsync already happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
