/**
 * docs/PROTOCOL.md's close-code table is what the service sends: its own CLOSE_CODES and graphql-ws's
 * protocol codes, plus 1006, which only clients see.
 */
import { CloseCode } from 'graphql-ws';
import { CLOSE_CODES } from '../../service/src/close-codes';
import { readDoc, section } from './markdown';

/** graphql-ws codes that its client raises on itself; a server never sends them. */
const CLIENT_SIDE = new Set<number>([
  CloseCode.InternalClientError,
  CloseCode.BadResponse,
  CloseCode.ConnectionAcknowledgementTimeout,
]);

test('every close code the service sends is documented, and every documented code is sent', () => {
  const table = section(readDoc('docs/PROTOCOL.md'), 'Close codes');
  const documented = new Set([...table.matchAll(/^\| (\d{4}) \|/gm)].map((m) => Number(m[1])));
  const protocol = Object.values(CloseCode).filter((code): code is number => typeof code === 'number');
  expect(documented).toEqual(
    new Set([...Object.values(CLOSE_CODES), ...protocol.filter((code) => !CLIENT_SIDE.has(code)), 1006]),
  );
});
