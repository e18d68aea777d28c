/**
 * The context schema file (`specs/context_schema.yaml`): its model, how it is inferred from a
 * context value (refined by a zod schema's JSON Schema when there is one), how it is read back
 * and checked, and the `src/context.ts` written from it.
 *
 * Format (version 1), one entry per path, parents before children:
 *
 * ```yaml
 * version: 1
 * fields:
 *   domain:                 { type: object, zone: data }
 *   domain.accounts:        { type: record, values: number, zone: data, default: { Alice: 1000 } }
 *   domain.heavy_chart:     { type: Float64Array, zone: heavy, length: 365 }
 * ```
 *
 * Why one file over 600 lines: inference, reading back and writing `src/context.ts` are the three
 * directions of one format, and each must agree with the others entry by entry (a test round-trips
 * them); keeping them together keeps that agreement in one place.
 */
import { isMap, isPair, isScalar, LineCounter, parseDocument } from 'yaml'
import { parsePath } from '../context/paths.js'
import { resolveZone, type Zone } from '../context/zones.js'
import { lineBreaks, loadYaml, MAX_NESTING } from '../yaml/source.js'
import { CliError } from './io.js'

/** Typed arrays and buffers: heavy values, written as `new X(length)`. */
export const BINARY_TYPES = [
  'Float64Array',
  'Float32Array',
  'Int32Array',
  'Int16Array',
  'Int8Array',
  'Uint32Array',
  'Uint16Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'BigInt64Array',
  'BigUint64Array',
  'ArrayBuffer',
] as const

/** The value types a field may have. */
export const FIELD_TYPES = [
  'object',
  'record',
  'array',
  'map',
  'set',
  'string',
  'number',
  'integer',
  'boolean',
  'null',
  'date',
  'unknown',
  ...BINARY_TYPES,
] as const

/** Element types of `record` values, `array` items, `map` values and `set` items. */
export const ELEMENT_TYPES = [
  'string',
  'number',
  'integer',
  'boolean',
  'date',
  'object',
  'unknown',
] as const

export type FieldType = (typeof FIELD_TYPES)[number]
export type ElementType = (typeof ELEMENT_TYPES)[number]

/**
 * An element with constraints of its own (`z.array(z.number().min(0))`): written as a mapping,
 * `items: { type: number, min: 0 }`; an element without constraints stays a plain type name.
 */
export interface ElementSpec {
  type: ElementType
  min?: number
  max?: number
  min_len?: number
  max_len?: number
  regex?: string
  enum?: (string | number | boolean | null)[]
  nullable?: boolean
}

/** The keys an element mapping may hold. */
const ELEMENT_KEYS = [
  'type',
  'min',
  'max',
  'min_len',
  'max_len',
  'regex',
  'enum',
  'nullable',
] as const

/** One path of the context. */
export interface FieldSpec {
  type: FieldType
  /** Follows from the name (`sig_`, `cmd_`, `meta_`, `heavy_`); written for the reader, checked on read. */
  zone: Zone
  /** Element type of a record, array, map or set, with its own constraints when it has any. */
  values?: ElementType | ElementSpec
  items?: ElementType | ElementSpec
  /** Length of a typed array (elements) or ArrayBuffer (bytes). */
  length?: number
  /** The initial value; absent for `object` (built from its children) and zero-filled binaries. */
  default?: unknown
  min?: number
  max?: number
  min_len?: number
  max_len?: number
  regex?: string
  enum?: (string | number | boolean | null)[]
  nullable?: boolean
  optional?: boolean
  description?: string
}

/** The whole file: paths in order, parents before children. */
export interface ContextSchemaModel {
  fields: Map<string, FieldSpec>
}

const FIELD_KEYS = [
  'type',
  'zone',
  'values',
  'items',
  'length',
  'default',
  'min',
  'max',
  'min_len',
  'max_len',
  'regex',
  'enum',
  'nullable',
  'optional',
  'description',
] as const

//#region inference

type JsonSchema = Record<string, any>

// SPEC §10.1: a plain object's prototype is Object.prototype or null (Object.create(null)).
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v))

/**
 * Builds the model of a context value; `json` is the JSON Schema of its zod schema (or
 * undefined), which decides records from objects, integers, bounds, enums and descriptions.
 */
export function inferModel(
  context: Record<string, unknown>,
  json: JsonSchema | undefined,
): ContextSchemaModel {
  const fields = new Map<string, FieldSpec>()
  for (const layer of ['global', 'domain'] as const) {
    const value = context[layer] ?? {}
    refuseUndescribable(value, layer)
    visit(fields, layer, value, json?.properties?.[layer], true)
  }
  return { fields }
}

function unwrapNullable(s: JsonSchema | undefined): {
  schema: JsonSchema | undefined
  nullable: boolean
} {
  if (Array.isArray(s?.type) && s.type.includes('null')) {
    const rest = s.type.filter((t: unknown) => t !== 'null')
    return { schema: { ...s, type: rest.length === 1 ? rest[0] : rest }, nullable: true }
  }
  const alts = s?.anyOf as JsonSchema[] | undefined
  if (Array.isArray(alts) && alts.length === 2) {
    const nonNull = alts.filter((a) => a?.type !== 'null')
    if (nonNull.length === 1) return { schema: nonNull[0], nullable: true }
  }
  return { schema: s, nullable: false }
}

function visit(
  fields: Map<string, FieldSpec>,
  path: string,
  value: unknown,
  rawSchema: JsonSchema | undefined,
  required: boolean,
): void {
  const { schema, nullable } = unwrapNullable(rawSchema)
  const zone = resolveZone(path)
  const spec: FieldSpec = { type: 'unknown', zone }
  const isRecord =
    schema?.type === 'object' &&
    schema.properties === undefined &&
    typeof schema.additionalProperties === 'object'
  if (isPlainObject(value) && !isRecord) {
    spec.type = 'object'
    refine(spec, schema, nullable, required)
    fields.set(path, spec)
    const keys = new Set([...Object.keys(value), ...Object.keys(schema?.properties ?? {})])
    const req = new Set<string>(schema?.required ?? [])
    for (const k of keys) {
      if (!Object.hasOwn(value, k)) continue
      // Paths are dotted (and `[i]` is an index): a key holding either, or none at all, names
      // no field of its own, and the file would not read back.
      if (k === '' || /[.[]/.test(k))
        throw new CliError(
          `the key ${JSON.stringify(k)} at ${path} cannot be a path segment ('.' and '[' separate segments); rename it, or give ${path} a record schema (z.record) so its keys are data.`,
        )
      visit(
        fields,
        `${path}.${k}`,
        value[k],
        schema?.properties?.[k],
        schema === undefined || req.has(k),
      )
    }
    return
  }
  Object.assign(spec, describeValue(value, schema, isRecord))
  refine(spec, schema, nullable, required)
  fields.set(path, spec)
}

/**
 * A schema file holds data: a function, a symbol or an instance of an application class has no
 * description there, and would otherwise fail deep in the YAML writer without saying where.
 * Throws a `CliError` naming the first such path.
 */
function refuseUndescribable(
  value: unknown,
  at: string,
  heavy = false,
  // The containers above `value`: one seen again is a cycle, which no file can describe.
  above = new Set<object>(),
): void {
  const fail = (what: string): never => {
    throw new CliError(
      `the context holds ${what} at ${at}; a context schema describes data only: move it out of the context (into a process or a module constant), or replace it with data.`,
    )
  }
  if (typeof value === 'function') fail(`a function${value.name ? ` (${value.name})` : ''}`)
  if (typeof value === 'symbol') fail('a symbol')
  // The file has no bigint type: written as a number it would come back a number, rounded.
  if (typeof value === 'bigint') {
    throw new CliError(
      `the context holds a bigint (${value}n) at ${at}, which the context schema file cannot describe; store it as a string or a number.`,
    )
  }
  if (typeof value !== 'object' || value === null) return
  if (value instanceof Date || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return
  if (above.has(value)) {
    throw new CliError(
      `the context holds a cycle at ${at} (an object that contains itself); a context schema describes a tree of data: break the cycle, or keep ids instead of references.`,
    )
  }
  // The parsers' limit (SPEC §10.4): deeper, the walks below would overflow the stack.
  if (above.size >= MAX_NESTING) {
    throw new CliError(
      `the context is nested more than ${MAX_NESTING} levels deep at ${at}; flatten it.`,
    )
  }
  above.add(value)
  if (value instanceof Map) {
    for (const [k, v] of value)
      refuseUndescribable(v, `${at}[${JSON.stringify(k) ?? String(k)}]`, heavy, above)
  } else if (value instanceof Set) {
    let i = 0
    for (const v of value) refuseUndescribable(v, `${at} (set item ${i++})`, heavy, above)
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) refuseUndescribable(v, `${at}[${i}]`, heavy, above)
  } else {
    const proto = Object.getPrototypeOf(value)
    // The heavy zone holds any object by reference (a model, a canvas): described as unknown.
    if (proto !== Object.prototype && proto !== null && !heavy)
      fail(`an instance of ${proto?.constructor?.name || 'a class'}`)
    if (proto === Object.prototype || proto === null) {
      for (const [k, v] of Object.entries(value)) {
        if (k === '__proto__') throw protoKey(`${at}.${k}`)
        refuseUndescribable(v, `${at}.${k}`, heavy || k.startsWith('heavy_'), above)
      }
    }
  }
  above.delete(value)
}

// SPEC §10.1: `__proto__` is never a data key. Written into src/context.ts, it would set the
// prototype of an object literal instead of holding data.
function protoKey(at: string): CliError {
  return new CliError(
    `${at} is a '__proto__' key, which is never data (it would reach a prototype); rename it.`,
  )
}

function elementOf(
  values: Iterable<unknown>,
  rawSchema: JsonSchema | undefined,
): ElementType | ElementSpec {
  const { schema, nullable } = unwrapNullable(rawSchema)
  const t = schema?.type
  let type: ElementType
  if (t === 'string' || t === 'number' || t === 'integer' || t === 'boolean') type = t
  else if (t === 'object') type = 'object'
  else {
    const kinds = new Set<ElementType>()
    for (const v of values) kinds.add(scalarKind(v))
    type = kinds.size === 1 ? [...kinds][0]! : 'unknown'
  }
  // The element's own constraints, kept so that `schema code` writes them back.
  const spec: FieldSpec = { type, zone: 'data' }
  refine(spec, schema, nullable, true)
  const out: ElementSpec = { type }
  for (const k of ELEMENT_KEYS) if (k !== 'type' && spec[k] !== undefined) out[k] = spec[k] as never
  return Object.keys(out).length === 1 ? type : out
}

function scalarKind(v: unknown): ElementType {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'number') return 'number'
  if (typeof v === 'boolean') return 'boolean'
  if (v instanceof Date) return 'date'
  if (isPlainObject(v)) return 'object'
  return 'unknown'
}

function describeValue(
  value: unknown,
  schema: JsonSchema | undefined,
  isRecord: boolean,
): Partial<FieldSpec> {
  if (value instanceof Date) return { type: 'date', default: value.toISOString() }
  if (value instanceof Map) {
    return {
      type: 'map',
      values: elementOf(value.values(), undefined),
      default: [...value.entries()].map(([k, v]) => [k, plain(v)]),
    }
  }
  if (value instanceof Set)
    return { type: 'set', items: elementOf(value, undefined), default: [...value].map(plain) }
  if (value instanceof ArrayBuffer) return { type: 'ArrayBuffer', length: value.byteLength }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const type = value.constructor.name as FieldType
    if (!(BINARY_TYPES as readonly string[]).includes(type)) return { type: 'unknown' }
    const arr = value as unknown as ArrayLike<number | bigint>
    const out: Partial<FieldSpec> = { type, length: arr.length }
    if (Array.from(arr).some((x) => x !== 0 && x !== 0n))
      out.default = Array.from(arr, (x) => (typeof x === 'bigint' ? Number(x) : x))
    return out
  }
  if (Array.isArray(value))
    return { type: 'array', items: elementOf(value, schema?.items), default: value.map(plain) }
  if (isRecord) {
    const v = (value ?? {}) as Record<string, unknown>
    return {
      type: 'record',
      values: elementOf(Object.values(v), schema?.additionalProperties),
      default: plain(v),
    }
  }
  const t = schema?.type
  if (typeof value === 'number')
    return { type: t === 'integer' ? 'integer' : 'number', default: value }
  if (typeof value === 'string') return { type: 'string', default: value }
  if (typeof value === 'boolean') return { type: 'boolean', default: value }
  if (value === null) {
    const type = (FIELD_TYPES as readonly string[]).includes(t) ? (t as FieldType) : 'null'
    return type === 'null' ? { type, default: null } : { type, default: null, nullable: true }
  }
  if (typeof value === 'object' && !isPlainObject(value)) return { type: 'unknown' }
  return { type: 'unknown', ...(value === undefined ? {} : { default: plain(value) }) }
}

function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString()
  if (Array.isArray(v)) return v.map(plain)
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
  if (typeof v === 'bigint') return Number(v)
  return v
}

function refine(
  spec: FieldSpec,
  schema: JsonSchema | undefined,
  nullable: boolean,
  required: boolean,
): void {
  if (nullable) spec.nullable = true
  if (!required) spec.optional = true
  if (schema === undefined) return
  const safe = (n: unknown) => typeof n === 'number' && Math.abs(n) < Number.MAX_SAFE_INTEGER
  if (safe(schema.minimum)) spec.min = schema.minimum
  if (safe(schema.maximum)) spec.max = schema.maximum
  if (safe(schema.exclusiveMinimum) || safe(schema.exclusiveMaximum)) {
    spec.description = [spec.description, 'exclusive bounds written as inclusive']
      .filter(Boolean)
      .join('; ')
    if (safe(schema.exclusiveMinimum)) spec.min = schema.exclusiveMinimum
    if (safe(schema.exclusiveMaximum)) spec.max = schema.exclusiveMaximum
  }
  const minLen = schema.minLength ?? schema.minItems
  const maxLen = schema.maxLength ?? schema.maxItems
  if (typeof minLen === 'number') spec.min_len = minLen
  if (typeof maxLen === 'number') spec.max_len = maxLen
  if (typeof schema.pattern === 'string') spec.regex = schema.pattern
  if (Array.isArray(schema.enum)) spec.enum = schema.enum
  else if (schema.const !== undefined) spec.enum = [schema.const]
  if (typeof schema.description === 'string') spec.description = schema.description
}

//#endregion

//#region the YAML file

/** Serialises the model (with a header comment naming where it came from). */
export function modelToYaml(model: ContextSchemaModel, header: string): string {
  const fields: Record<string, Record<string, unknown>> = {}
  for (const [path, spec] of model.fields) {
    const out: Record<string, unknown> = {}
    for (const k of FIELD_KEYS) if (spec[k] !== undefined) out[k] = spec[k]
    fields[path] = out
  }
  const doc = parseDocument('{}')
  doc.contents = doc.createNode({ version: 1, fields }) as never
  doc.commentBefore = header
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true })
}

/** Reads and checks a context schema file. Throws a one-line `CliError` naming the path at fault. */
export function yamlToModel(text: string, filename: string): ContextSchemaModel {
  // A byte order mark is no column: positions count as editors show them.
  text = lineBreaks(text.replace(/^\uFEFF/, ''))
  // Theus's own loader, as for recipes: its limits (5 MB, 200 levels, aliases that expand past
  // the text) and its one-line messages; the document is parsed again only to point at keys.
  const loaded = loadYaml(text)
  if (!loaded.ok) {
    const { line, column, message, hint } = loaded.problem
    throw new CliError(
      `${filename}:${line}:${column}: malformed YAML: ${message}. ${hint ?? 'Fix the YAML at this position.'}`,
    )
  }
  const lineCounter = new LineCounter()
  // Duplicate keys were found by loadYaml, in one pass; yaml's own check is quadratic.
  const doc = parseDocument(text, { schema: 'core', lineCounter, uniqueKeys: false })
  const root = loaded.source.value as { version?: unknown; fields?: unknown } | null
  // The field being checked: its dotted path is one key of `fields`, not one key per segment.
  let field = ''
  // `file:line:column` of the deepest key of `where` found in the file (1-based, as in recipes).
  const at = (where: string): string => {
    const prefix = `fields.${field}`
    const segs =
      field !== '' && (where === prefix || where.startsWith(`${prefix}.`))
        ? ['fields', field, ...where.slice(prefix.length).split('.').filter(Boolean)]
        : where.split('.')
    let node: unknown = doc.contents
    let offset = 0
    for (const seg of segs) {
      const pair = isMap(node)
        ? node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg)
        : undefined
      if (pair === undefined) break
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset
      node = pair.value
    }
    const { line, col } = lineCounter.linePos(offset)
    return `${filename}:${line}:${col}`
  }
  const bad = (path: string, what: string): never => {
    throw new CliError(`${at(path)}: ${path}: ${what}`)
  }
  if (!isPlainObject(root))
    return bad('top level', 'expected a mapping with version: 1 and fields:')
  for (const k of Object.keys(root))
    if (k !== 'version' && k !== 'fields')
      bad(k, `unknown key; the top level has version and fields`)
  if (root.version !== 1)
    bad(
      'version',
      root.version === undefined
        ? 'missing; start the file with version: 1'
        : `expected 1, got ${JSON.stringify(root.version)}`,
    )
  if (!isPlainObject(root.fields))
    return bad('fields', 'expected a mapping of dotted paths to field specs')
  // The layers exist whether or not the file lists them, and always come first.
  const fields = new Map<string, FieldSpec>([
    ['global', { type: 'object', zone: 'data' }],
    ['domain', { type: 'object', zone: 'data' }],
  ])
  for (const [path, raw] of Object.entries(root.fields)) {
    field = path
    const segs = parsePath(path)
    const where = `fields.${path}`
    if (!segs || (segs[0] !== 'global' && segs[0] !== 'domain') || segs.join('.') !== path) {
      bad(where, "a path is dotted and starts with 'global' or 'domain', e.g. domain.accounts")
    }
    if (segs!.includes('__proto__')) throw protoKey(`${at(where)}: ${where}`)
    if (segs!.length > 1) {
      const parent = segs!.slice(0, -1).join('.')
      if (fields.get(parent)?.type !== 'object')
        bad(where, `its parent '${parent}' must come before it, with type: object`)
    }
    if (!isPlainObject(raw))
      return bad(where, 'expected a mapping such as { type: number, default: 0 }')
    for (const k of Object.keys(raw)) {
      if (!(FIELD_KEYS as readonly string[]).includes(k))
        bad(`${where}.${k}`, `unknown key; use one of ${FIELD_KEYS.join(', ')}`)
    }
    const type = raw.type
    if (typeof type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(type)) {
      bad(`${where}.type`, `expected one of ${FIELD_TYPES.join(', ')}`)
    }
    const zone = resolveZone(path)
    if (raw.zone !== undefined && raw.zone !== zone) {
      bad(
        `${where}.zone`,
        `the name makes it '${zone}'; zones follow name prefixes (sig_, cmd_, meta_, heavy_): rename the field to change its zone`,
      )
    }
    for (const k of ['values', 'items'] as const) {
      const el = raw[k]
      if (el === undefined) continue
      const elWhere = `${where}.${k}`
      const expected = `expected one of ${ELEMENT_TYPES.join(', ')}, or a mapping such as { type: number, min: 0 }`
      if (isPlainObject(el)) {
        for (const ek of Object.keys(el)) {
          if (!(ELEMENT_KEYS as readonly string[]).includes(ek))
            bad(`${elWhere}.${ek}`, `unknown key; an element has ${ELEMENT_KEYS.join(', ')}`)
        }
        if (!(ELEMENT_TYPES as readonly string[]).includes(el.type as string))
          bad(`${elWhere}.type`, `expected one of ${ELEMENT_TYPES.join(', ')}`)
        checkConstraints(el, elWhere, bad)
      } else if (!(ELEMENT_TYPES as readonly string[]).includes(el as string)) {
        bad(elWhere, expected)
      }
    }
    if (raw.length !== undefined && !(Number.isInteger(raw.length) && (raw.length as number) >= 0))
      bad(`${where}.length`, 'expected a whole number, 0 or more')
    checkConstraints(raw, where, bad)
    const spec = { ...raw, zone } as unknown as FieldSpec
    const protoAt = protoKeyIn(raw.default, `${where}.default`)
    if (protoAt !== undefined) throw protoKey(`${at(protoAt)}: ${protoAt}`)
    checkDefault(spec, where, bad)
    fields.set(path, spec)
  }
  field = ''
  for (const layer of ['global', 'domain']) {
    if (fields.get(layer)?.type !== 'object') bad(`fields.${layer}`, 'a layer has type: object')
  }
  return { fields }
}

/** Where a default value (plain data read from YAML) holds a `__proto__` key, if anywhere. */
function protoKeyIn(v: unknown, at: string, seen = new Set<object>()): string | undefined {
  if (typeof v !== 'object' || v === null || seen.has(v)) return undefined
  seen.add(v)
  for (const [k, x] of Object.entries(v)) {
    const here = Array.isArray(v) ? `${at}[${k}]` : `${at}.${k}`
    if (k === '__proto__' && !Array.isArray(v)) return here
    const found = protoKeyIn(x, here, seen)
    if (found !== undefined) return found
  }
  return undefined
}

/** The constraint keys a field and an element share. */
function checkConstraints(
  raw: Record<string, unknown>,
  where: string,
  bad: (p: string, w: string) => never,
): void {
  for (const k of ['min', 'max', 'min_len', 'max_len'] as const) {
    if (raw[k] !== undefined && typeof raw[k] !== 'number')
      bad(`${where}.${k}`, 'expected a number')
  }
  if (raw.regex !== undefined) {
    try {
      new RegExp(raw.regex as string)
    } catch {
      bad(`${where}.regex`, 'expected a valid JavaScript regular expression')
    }
  }
  if (raw.enum !== undefined && !Array.isArray(raw.enum))
    bad(`${where}.enum`, 'expected a list of literals')
  if (raw.nullable !== undefined && typeof raw.nullable !== 'boolean')
    bad(`${where}.nullable`, 'expected true or false')
}

function checkDefault(spec: FieldSpec, where: string, bad: (p: string, w: string) => never): void {
  const d = spec.default
  const at = `${where}.default`
  if (d === undefined) {
    checkFits(spec, where, bad)
    return
  }
  if (d === null && (spec.nullable || spec.type === 'null' || spec.type === 'unknown')) return
  const ok: Partial<Record<FieldType, boolean>> = {
    ...scalarFits(d),
    record: isPlainObject(d),
    array: Array.isArray(d),
    set: Array.isArray(d),
    map: Array.isArray(d) && d.every((e) => Array.isArray(e) && e.length === 2),
    object: false,
  }
  const verdict = ok[spec.type]
  if ((BINARY_TYPES as readonly string[]).includes(spec.type)) {
    if (!Array.isArray(d) || !d.every((x) => typeof x === 'number'))
      bad(at, 'expected a list of numbers')
    return
  }
  if (verdict === false) {
    bad(
      at,
      spec.type === 'object'
        ? 'an object has no default: give its children defaults'
        : `does not fit type ${spec.type}`,
    )
  }
  checkFits(spec, where, bad)
}

/**
 * The initial value `src/context.ts` will hold must pass the zod schema written beside it, or
 * the module fails tsc and the engine refuses every commit: check it against the field's own
 * rules (type, enum, bounds, lengths, regex) and each element against the element's.
 */
function checkFits(spec: FieldSpec, where: string, bad: (p: string, w: string) => never): void {
  const d = spec.default
  if (spec.type === 'object' || (BINARY_TYPES as readonly string[]).includes(spec.type)) return
  if (d === undefined && spec.optional) return
  // What literalOf writes when there is no default.
  const implied: Partial<Record<FieldType, unknown>> = {
    string: '',
    number: spec.min ?? 0,
    integer: spec.min ?? 0,
    boolean: false,
    date: new Date(0).toISOString(),
    record: {},
    array: [],
    map: [],
    set: [],
  }
  const v = d === undefined ? (implied[spec.type] ?? null) : d
  const why = misfit(v, spec)
  if (why !== undefined) {
    if (d === undefined)
      bad(
        where,
        `has no default, so it starts as ${show(v)}, which ${why}; add a default that fits`,
      )
    bad(`${where}.default`, `${show(v)} ${why}; give a default that fits`)
  }
  const given = spec.type === 'record' || spec.type === 'map' ? spec.values : spec.items
  if (given === undefined || d === undefined || d === null) return
  const el = typeof given === 'object' ? given : { type: given }
  const elements: [string | number, unknown][] =
    spec.type === 'record'
      ? Object.entries(d as object)
      : (d as unknown[]).map((x, i) => [i, spec.type === 'map' ? (x as unknown[])[1] : x])
  for (const [k, x] of elements) {
    const whyEl = misfit(x, el)
    if (whyEl !== undefined)
      bad(
        `${where}.default.${k}`,
        `${show(x)} ${whyEl}; every element follows the field's ${spec.type === 'record' || spec.type === 'map' ? 'values' : 'items'}`,
      )
  }
}

const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v))

/** Whether a YAML value fits each scalar field type (a date is an ISO string there). */
function scalarFits(v: unknown): Partial<Record<FieldType, boolean>> {
  return {
    string: typeof v === 'string',
    number: typeof v === 'number',
    integer: Number.isInteger(v),
    boolean: typeof v === 'boolean',
    date: typeof v === 'string' && !Number.isNaN(Date.parse(v)),
  }
}

/** Why `v` breaks the rules that zodOf writes for `c`, or undefined when it fits. */
function misfit(v: unknown, c: ElementSpec | FieldSpec): string | undefined {
  if (v === null && c.nullable) return undefined
  if (c.enum !== undefined && c.enum.length > 0)
    return c.enum.includes(v as never) ? undefined : `is not one of enum ${show(c.enum)}`
  if (v === null)
    return c.type === 'null' || c.type === 'unknown'
      ? undefined
      : 'is null, and the field is not nullable'
  const typed: Partial<Record<FieldType, boolean>> = { ...scalarFits(v), object: isPlainObject(v) }
  if (typed[c.type] === false) return `does not fit type ${c.type}`
  if (typeof v === 'number' && (c.type === 'number' || c.type === 'integer')) {
    if (c.min !== undefined && v < c.min) return `is below min ${c.min}`
    if (c.max !== undefined && v > c.max) return `is above max ${c.max}`
  }
  if ((typeof v === 'string' && c.type === 'string') || (Array.isArray(v) && c.type === 'array')) {
    const len = (v as string | unknown[]).length
    if (c.min_len !== undefined && len < c.min_len) return `is shorter than min_len ${c.min_len}`
    if (c.max_len !== undefined && len > c.max_len) return `is longer than max_len ${c.max_len}`
  }
  if (typeof v === 'string' && c.type === 'string' && c.regex !== undefined)
    if (!new RegExp(c.regex).test(v)) return `does not match regex ${c.regex}`
  return undefined
}

//#endregion

//#region code

/** Writes `src/context.ts` for the model: a zod schema, its type, and the initial context. */
export function modelToCode(model: ContextSchemaModel, source: string): string {
  const children = new Map<string, string[]>()
  for (const path of model.fields.keys()) {
    const i = path.lastIndexOf('.')
    if (i < 0) continue
    const parent = path.slice(0, i)
    children.set(parent, [...(children.get(parent) ?? []), path])
  }
  const key = (path: string) => {
    const k = path.slice(path.lastIndexOf('.') + 1)
    return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)
  }
  const pad = (n: number) => '  '.repeat(n)
  const schemaOf = (path: string, depth: number): string => {
    const spec = model.fields.get(path)!
    let s: string
    if (spec.type === 'object') {
      const kids = children.get(path) ?? []
      s =
        kids.length === 0
          ? 'z.object({})'
          : `z.object({\n${kids.map((k) => `${pad(depth + 1)}${key(k)}: ${schemaOf(k, depth + 1)},\n`).join('')}${pad(depth)}})`
    } else {
      s = zodOf(spec)
    }
    if (spec.description !== undefined) s += `.describe(${JSON.stringify(spec.description)})`
    if (spec.nullable && spec.type !== 'null') s += '.nullable()'
    if (spec.optional) s += '.optional()'
    return s
  }
  const initialOf = (path: string, depth: number): string => {
    const spec = model.fields.get(path)!
    if (spec.type === 'object') {
      const kids = (children.get(path) ?? []).filter((k) => {
        const c = model.fields.get(k)!
        return !(c.optional && c.default === undefined && c.type !== 'object')
      })
      if (kids.length === 0) return '{}'
      return `{\n${kids.map((k) => `${pad(depth + 1)}${key(k)}: ${initialOf(k, depth + 1)},\n`).join('')}${pad(depth)}}`
    }
    return literalOf(spec)
  }
  return `/**
 * The application's context: its zod schema (checked on every commit), its type, and its
 * initial value. Written by \`theus schema code\` from ${source}:
 * edit that file and run it again, or edit this one and run \`theus schema gen\`.
 */
import { z } from 'zod'

export const contextSchema = z.object({
  global: ${schemaOf('global', 1)},
  domain: ${schemaOf('domain', 1)},
})

export type Context = z.infer<typeof contextSchema>

export const initialContext: Context = {
  global: ${initialOf('global', 1)},
  domain: ${initialOf('domain', 1)},
}
`
}

function zodOfElement(e: ElementType | ElementSpec | undefined): string {
  if (typeof e === 'object') {
    // An element with constraints: the same code a field of that type gets.
    const scalar = e.type === 'string' || e.type === 'number' || e.type === 'integer'
    const s = scalar || e.enum !== undefined ? zodOf({ ...e, zone: 'data' }) : zodOfElement(e.type)
    return e.nullable ? `${s}.nullable()` : s
  }
  switch (e) {
    case 'string':
      return 'z.string()'
    case 'number':
      return 'z.number()'
    case 'integer':
      return 'z.number().int()'
    case 'boolean':
      return 'z.boolean()'
    case 'date':
      return 'z.date()'
    case 'object':
      return 'z.record(z.string(), z.unknown())'
    default:
      return 'z.unknown()'
  }
}

function zodOf(spec: FieldSpec): string {
  if ((BINARY_TYPES as readonly string[]).includes(spec.type)) return `z.instanceof(${spec.type})`
  const bounds = (minKey: 'min' | 'min_len', maxKey: 'max' | 'max_len') =>
    `${spec[minKey] === undefined ? '' : `.min(${spec[minKey]})`}${spec[maxKey] === undefined ? '' : `.max(${spec[maxKey]})`}`
  if (spec.enum !== undefined && spec.enum.length > 0) {
    const values = spec.enum
    if (values.length > 1 && values.every((v) => typeof v === 'string'))
      return `z.enum(${JSON.stringify(values)})`
    const lits = values.map((v) => `z.literal(${JSON.stringify(v)})`)
    return lits.length === 1 ? lits[0]! : `z.union([${lits.join(', ')}])`
  }
  switch (spec.type) {
    case 'string':
      return `z.string()${bounds('min_len', 'max_len')}${spec.regex === undefined ? '' : `.regex(new RegExp(${JSON.stringify(spec.regex)}))`}`
    case 'number':
      return `z.number()${bounds('min', 'max')}`
    case 'integer':
      return `z.number().int()${bounds('min', 'max')}`
    case 'boolean':
      return 'z.boolean()'
    case 'null':
      return 'z.null()'
    case 'date':
      return 'z.date()'
    case 'record':
      return `z.record(z.string(), ${zodOfElement(spec.values)})`
    case 'array':
      return `z.array(${zodOfElement(spec.items)})${bounds('min_len', 'max_len')}`
    case 'map':
      return `z.map(z.unknown(), ${zodOfElement(spec.values)})`
    case 'set':
      return `z.set(${zodOfElement(spec.items)})`
    default:
      return 'z.unknown()'
  }
}

function literalOf(spec: FieldSpec): string {
  const d = spec.default
  if ((BINARY_TYPES as readonly string[]).includes(spec.type)) {
    if (Array.isArray(d))
      return spec.type === 'ArrayBuffer'
        ? `new Uint8Array(${jsLiteral(d)}).buffer`
        : `new ${spec.type}(${jsLiteral(d)})`
    return `new ${spec.type}(${spec.length ?? 0})`
  }
  const json = (v: unknown) => jsLiteral(v ?? null)
  if (d === null) return 'null'
  switch (spec.type) {
    case 'date':
      return d === null ? 'null' : `new Date(${json(d ?? new Date(0).toISOString())})`
    case 'map':
      if (d === undefined) return 'new Map()'
      // Entries `[key, value]`: the value is the element.
      return `new Map([${(d as unknown[]).map((e) => jsLiteral(e, (i) => i === 1 && dates(spec.values))).join(', ')}])`
    case 'set':
      return `new Set(${d === undefined ? '' : jsLiteral(d, () => dates(spec.items))})`
    case 'record':
      return d === undefined ? '{}' : jsLiteral(d, () => dates(spec.values))
    case 'array':
      return d === undefined ? '[]' : jsLiteral(d, () => dates(spec.items))
    case 'string':
      return json(d ?? '')
    case 'number':
    case 'integer':
      return json(d ?? spec.min ?? 0)
    case 'boolean':
      return json(d ?? false)
    default:
      return d === undefined ? (spec.optional ? 'undefined' : 'null') : json(d)
  }
}

// Elements of type date are ISO strings in the file and `Date`s in the context.
const dates = (e: ElementType | ElementSpec | undefined): boolean =>
  (typeof e === 'object' ? e.type : e) === 'date'

/**
 * A value as a JavaScript literal in the project's style: single quotes, spaced braces.
 * `isDate(key)` marks the direct children (elements, record values) that are dates, written
 * `new Date('...')`.
 */
function jsLiteral(v: unknown, isDate?: (key: string | number) => boolean): string {
  const child = (x: unknown, k: string | number) =>
    isDate?.(k) && typeof x === 'string' ? `new Date(${jsLiteral(x)})` : jsLiteral(x)
  // JSON's escapes (every line break and control character), in single quotes.
  if (typeof v === 'string')
    return `'${JSON.stringify(v).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'")}'`
  // NaN, Infinity and -0 are numbers that JSON has no words for (it writes null and 0).
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v)
  if (Array.isArray(v)) return `[${v.map((x, i) => child(x, i)).join(', ')}]`
  if (isPlainObject(v)) {
    const entries = Object.entries(v).map(
      ([k, x]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : jsLiteral(k)}: ${child(x, k)}`,
    )
    return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`
  }
  return JSON.stringify(v ?? null)
}

//#endregion
