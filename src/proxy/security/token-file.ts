// The workload's bootstrap token, read from the file `weft up` wrote (0600). Read on every CA
// request, so a replaced file takes effect without a restart. The token is never logged.
import fs from 'node:fs';

export function readTokenFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the token file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  const token = text.trim();
  if (token === '') throw new Error(`the token file ${file} is empty`);
  return token;
}
