/** docs/PROTOCOL.md's close-code table is the service's CLOSE_CODES, plus 1006, which only clients see. */
import { CLOSE_CODES } from '../../service/src/close-codes';
import { readDoc, section } from './markdown';

test('every close code the service sends is documented, and every documented code is sent', () => {
  const table = section(readDoc('docs/PROTOCOL.md'), 'Close codes');
  const documented = new Set([...table.matchAll(/^\| (\d{4}) \|/gm)].map((m) => Number(m[1])));
  expect(documented).toEqual(new Set([...Object.values(CLOSE_CODES), 1006]));
});
