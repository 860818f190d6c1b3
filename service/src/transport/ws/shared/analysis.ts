/**
 * Which WebSocket operations may share one execution, and under which group key. Pure: no sockets, no
 * streams; the registry (registry.ts) asks `keyOf` and groups by the answer.
 *
 * Not shared (the per-connection path): queries and mutations, operations selecting a field listed in
 * `perConnectionFields` (its result depends on the connection), operations with `extensions` other than a
 * lone `resumeFrom` (a resuming operation replays its gap per connection, then joins the group of the same
 * operation: see resuming.ts), and sockets whose scope is `undefined`. Results are shared only within one scope (by default all verified
 * claims but the token's own timestamps and id — iss, sub, scopes, roles, tenant... — or 'anonymous' without
 * a verifier), so a resolver that reads the identity stays correct.
 */
import {
  BREAK,
  getOperationAST,
  isAbstractType,
  isInterfaceType,
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Identity } from '../../../auth';
import { variablesDepthError } from '../variables';

export interface SharedSubscriptionsOptions {
  /**
   * Field coordinates (`Type.field`) whose result depends on the connection rather than on the event and
   * the auth scope; an operation selecting one (directly, through fragments, or through an interface the
   * type implements) runs per connection.
   * @default [] (the chat schema has none)
   */
  readonly perConnectionFields?: readonly string[];
  /**
   * The auth scope of a socket: results are shared only among sockets with the same scope. Return
   * `undefined` to never share this socket's subscriptions.
   * @default the verified claims without `iat`, `exp`, `nbf`, `jti` (so a refreshed token keeps its scope, and
   * sockets share only with sockets whose claims are identical), or 'anonymous' without a verifier
   */
  readonly scope?: (identity: Identity | null) => string | undefined;
}

/** The parts of a `subscribe` payload that decide sharing. */
export interface OperationPayload {
  readonly query: string;
  readonly operationName?: string | null | undefined;
  readonly variables?: Record<string, unknown> | null | undefined;
  readonly extensions?: Record<string, unknown> | null | undefined;
}

/** Claims that differ between two tokens of the same principal: not part of the scope. */
const TOKEN_INSTANCE_CLAIMS = new Set(['iat', 'exp', 'nbf', 'jti']);

export const DEFAULT_SCOPE = (identity: Identity | null): string => {
  if (identity === null) return 'anonymous';
  const claims = Object.entries(identity.claims).filter(([name]) => !TOKEN_INSTANCE_CLAIMS.has(name));
  return canonicalJson({ sub: identity.subject, ...Object.fromEntries(claims) });
};

export class SharingAnalysis {
  private readonly perConnectionFields: ReadonlySet<string>;
  private readonly scope: (identity: Identity | null) => string | undefined;
  /** Yoga's parser cache hands out one DocumentNode per query text: analyse each (document, operation) once. */
  private readonly shareable = new WeakMap<DocumentNode, Map<string | null, boolean>>();

  /** Throws naming every `perConnectionFields` entry that is not a field of `schema`. */
  constructor(
    private readonly schema: GraphQLSchema,
    options: SharedSubscriptionsOptions = {},
  ) {
    this.perConnectionFields = new Set(validateCoordinates(schema, options.perConnectionFields ?? []));
    this.scope = options.scope ?? DEFAULT_SCOPE;
  }

  /**
   * The group key of a parsed and validated operation, or undefined when it must run per connection.
   * Key = (query text, operation name, canonical variables, scope). Throws a GraphQLError for variables
   * nested deeper than MAX_VARIABLES_DEPTH.
   */
  keyOf(document: DocumentNode, payload: OperationPayload, identity: Identity | null): string | undefined {
    // Extensions (persisted queries, tracing flags, ...) may change how a plugin treats the operation.
    if (payload.extensions != null && Object.keys(payload.extensions).length > 0 && !isResumeOnly(payload)) {
      return undefined;
    }
    const operationName = payload.operationName ?? null;
    if (!this.isShareable(document, operationName)) return undefined;
    const scope = this.scope(identity);
    if (scope === undefined) return undefined;
    // canonicalJson recurses: never on client input of unbounded depth.
    const tooDeep = variablesDepthError(payload.variables);
    if (tooDeep !== undefined) throw tooDeep;
    return JSON.stringify([payload.query, operationName, canonicalJson(payload.variables ?? {}), scope]);
  }

  private isShareable(document: DocumentNode, operationName: string | null): boolean {
    let byName = this.shareable.get(document);
    if (byName === undefined) this.shareable.set(document, (byName = new Map()));
    let shareable = byName.get(operationName);
    if (shareable === undefined) {
      const operation = getOperationAST(document, operationName);
      shareable =
        operation !== null &&
        operation !== undefined &&
        operation.operation === 'subscription' &&
        !selectsAny(this.schema, document, operation, this.perConnectionFields);
      byName.set(operationName, shareable);
    }
    return shareable;
  }
}

/** True when the payload's only extension is `resumeFrom`: the operation may resume into a group. */
export function isResumeOnly(payload: OperationPayload): boolean {
  const names = Object.keys(payload.extensions ?? {});
  return names.length === 1 && names[0] === 'resumeFrom';
}

/** JSON with object keys sorted at every level: `{a,b}` and `{b,a}` share a group. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** Each coordinate must name an existing field: a typo would silently share a per-connection result. */
function validateCoordinates(schema: GraphQLSchema, coordinates: readonly string[]): string[] {
  const problems: string[] = [];
  for (const coordinate of coordinates) {
    const match = /^([_A-Za-z][_0-9A-Za-z]*)\.([_A-Za-z][_0-9A-Za-z]*)$/.exec(coordinate);
    const type = match ? schema.getType(match[1] as string) : undefined;
    if (match === null) {
      problems.push(`'${coordinate}' is not a field coordinate (expected Type.field)`);
    } else if (!isObjectType(type) && !isInterfaceType(type)) {
      problems.push(`'${coordinate}': the schema has no object or interface type '${match[1]}'`);
    } else if (type.getFields()[match[2] as string] === undefined) {
      problems.push(`'${coordinate}': type '${match[1]}' has no field '${match[2]}'`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`sharedSubscriptions.perConnectionFields: ${problems.join('; ')}`);
  }
  return [...coordinates];
}

/**
 * Does the operation select a listed field? Walks its selection set and every fragment it spreads
 * (transitively), with the type each field is selected on; a field selected on an abstract type counts
 * for every possible type, and one on an object type for the interfaces it implements.
 */
function selectsAny(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  coordinates: ReadonlySet<string>,
): boolean {
  if (coordinates.size === 0) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const matches = (parent: GraphQLCompositeType, field: string): boolean => {
    if (coordinates.has(`${parent.name}.${field}`)) return true;
    const related = isAbstractType(parent) ? schema.getPossibleTypes(parent) : parent.getInterfaces();
    return related.some((type) => coordinates.has(`${type.name}.${field}`));
  };

  let found = false;
  const typeInfo = new TypeInfo(schema);
  const visitor = visitWithTypeInfo(typeInfo, {
    Field(node) {
      const parent = typeInfo.getParentType();
      if (parent != null && !node.name.value.startsWith('__') && matches(parent, node.name.value)) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  const seen = new Set<string>();
  const pending: Array<OperationDefinitionNode | FragmentDefinitionNode> = [operation];
  while (pending.length > 0 && !found) {
    const definition = pending.pop() as OperationDefinitionNode | FragmentDefinitionNode;
    visit(definition, visitor);
    for (const name of spreadNames(definition.selectionSet)) {
      const fragment = fragments.get(name);
      if (fragment !== undefined && !seen.has(name)) {
        seen.add(name);
        pending.push(fragment);
      }
    }
  }
  return found;
}

function spreadNames(selectionSet: SelectionSetNode): string[] {
  const names: string[] = [];
  visit(selectionSet, {
    FragmentSpread(node) {
      names.push(node.name.value);
    },
  });
  return names;
}
