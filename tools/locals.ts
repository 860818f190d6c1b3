/**
 * Resolves references to a stack's locals (`${local.<name>.<attribute>}`) inside a string of the
 * synthesized JSON, as Terraform does at plan time. The task definition's `container_definitions` reads
 * its timing from a local (so the plan can check it), which makes the string valid JSON only once the
 * references are resolved: every reader of the synthesized JSON that parses it goes through here.
 */
export type Locals = Readonly<Record<string, unknown>>;

const LOCAL_REFERENCE = /\$\{local\.([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\}/g;

/** `text` with every local reference replaced by the local's value; throws naming an unknown one. */
export function resolveLocals(text: string, locals: Locals | undefined): string {
  return text.replace(LOCAL_REFERENCE, (reference, local: string, key: string) => {
    const object = locals?.[local];
    const value = typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined;
    if (value === undefined || (typeof value === 'object' && value !== null)) {
      throw new Error(`${reference} names no local value of the stack`);
    }
    return String(value);
  });
}
