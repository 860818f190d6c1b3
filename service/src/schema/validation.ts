/** Input rules of the domain, with errors a client can act on (code BAD_USER_INPUT, the argument named). */
import { GraphQLError } from 'graphql';

export const ROOM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const MAX_TEXT_LENGTH = 2_000;

function badInput(argumentName: string, message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argumentName } });
}

export function validateRoom(room: string): string {
  if (!ROOM_PATTERN.test(room)) {
    throw badInput(
      'room',
      `Invalid room name ${JSON.stringify(room.slice(0, 80))}: use 1 to 64 letters, digits, '-' or '_', starting with a letter or digit`,
    );
  }
  return room;
}

export function validateText(text: string): string {
  const trimmed = text.trim();
  // Counted in code points so emoji count once.
  const length = [...trimmed].length;
  if (length === 0 || length > MAX_TEXT_LENGTH) {
    throw badInput('text', `Message text must be 1 to ${MAX_TEXT_LENGTH} characters after trimming (got ${length})`);
  }
  return trimmed;
}
