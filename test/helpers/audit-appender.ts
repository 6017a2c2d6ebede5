// Child process for the crash test: opens the log in argv[2], prints "ready <size>", then appends as
// fast as the log accepts and prints each index the moment its append resolves, until it is killed.
// stdout to a pipe is synchronous on Linux, so a printed index was acknowledged before the kill.
import { pathToFileURL } from 'node:url';
import { AuditError, AuditLog } from '../../audit/index.js';

/** The payload the appender writes at `index`: varied lengths, content tied to the index. */
export function appenderPayload(index: number): Buffer {
  return Buffer.from(`record ${index} `.padEnd(16 + ((index * 37) % 300), String.fromCharCode(97 + (index % 26))));
}

async function main(dir: string): Promise<void> {
  const log = await AuditLog.open(dir, { maxSegmentBytes: 64 * 1024 });
  let next = log.size;
  process.stdout.write(`ready ${next}\n`);
  const inFlightLimit = 512;
  let inFlight = 0;
  const pump = (): void => {
    while (inFlight < inFlightLimit) {
      const expected = next++;
      inFlight++;
      log.append(appenderPayload(expected)).then(
        ({ index }) => {
          if (index !== expected) throw new Error(`index ${index}, expected ${expected}`);
          process.stdout.write(`${index}\n`);
          inFlight--;
          pump();
        },
        (err: unknown) => {
          process.stderr.write(`${err instanceof AuditError ? err.code : String(err)}\n`);
          process.exit(1);
        },
      );
    }
  };
  pump();
}

const dir = process.argv[2];
if (dir !== undefined && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(dir);
