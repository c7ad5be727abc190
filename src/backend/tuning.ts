// The tuning table: every knob that changes which GPU kernel runs or how its WGSL is made,
// declared once with its environment variable, allowed values, default and purpose (after
// tinygrad's ContextVars and TF.js's registerFlag). docs/tuning.md is generated from it
// (scripts/gen-tuning-doc.mjs) and a test keeps the two the same. None is needed in normal use.
//
// Values come from the defaults, then the environment (Node; read by the first init()), then
// code: init({ tuning }) in any runtime, and withTuning(over, fn) around a piece of code (tests,
// sweeps). A bad value is an Error naming the knob and what it accepts, thrown by init() or
// withTuning() before any GPU work.
//
// Kernels read knobs with knob(name). The backend records the knobs a kernel's WGSL generator
// reads (readsWhile) and appends their values to its pipeline key (tuningKey), so a kernel's
// key need not repeat them.

type Setting = string | number | boolean;

const describe = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v));

export interface Knob<T> {
  /** The environment variable that sets it (Node). */
  env: string;
  /** The values it takes, as the docs and the errors write them. */
  values: string;
  default: T;
  /** What it does, in a sentence. */
  purpose: string;
  /** The value a setting (an environment string, or a value from code) stands for; undefined when it is not allowed. */
  parse(s: Setting): T | undefined;
  /** It builds kernels that compute wrong results on purpose, to see where the time goes. */
  profiling?: boolean;
  /** An older environment variable which, set to 1, means `value`. */
  alias?: { env: string; value: T };
}

export type Unroll = 'auto' | 1 | 2;
export type BlockMap = 'auto' | 0 | 4 | 8 | 16;

export interface Tuning {
  matmulTile: string;
  matmulExact: 'auto' | 'off';
  matmulTileGroup: TileGroup;
  matmulUnroll: Unroll;
  matmulMap: BlockMap;
  matmulTc: 'auto' | 'off';
  noSubgroupMatrix: boolean;
  moeTile: string;
  moeShared: 'auto' | 'flat' | 'split';
  moeUnroll: Unroll;
  moeMap: BlockMap;
  moeTc: 'auto' | 'off' | 'emulate';
  moeTcTile: string;
  moeTcXtyTile: string;
  moeTcPad: number;
  moeTcBdirect: boolean;
  moeTileGroup: TileGroup;
  moeSimtTileGroup: TileGroup;
  tcDepth: 1 | 2 | 4;
  tcKnockout: 'none' | 'loads' | 'stores' | 'mma' | 'frag';
}

const text = (s: Setting): string => String(s).trim();
const oneOf = <T extends string | number>(...xs: T[]) => (s: Setting): T | undefined => xs.find((x) => String(x) === text(s));
const flag = (s: Setting): boolean | undefined => (['1', 'true'].includes(text(s)) ? true : ['0', 'false'].includes(text(s)) ? false : undefined);
/** One of `names`, or a string matching `re`. */
const namedOr = (names: readonly string[], re: RegExp) => (s: Setting): string | undefined => {
  const v = text(s);
  return names.includes(v) || re.test(v) ? v : undefined;
};
/** A SIMT tile: workgroup tile TM x TN, K step BK, RM x RN outputs per invocation. */
export const SIMT_TILE = /^(\d+)x(\d+)x(\d+):(\d+)x(\d+)$/;
/** A tensor-core tile: SGM x SGN subgroups of FM x FN 16x16 fragments, K step TK. */
export const TC_TILE = /^(\d+)x(\d+)x(\d+)x(\d+)x(\d+)$/;
/** The dense tiled kernel's named tiles (gemm/tiled.ts) and its other kernels. */
export const MATMUL_TILES = ['big', 'wide', 'tall', 'mid', 'small'] as const;
export const MATMUL_KERNELS = ['reg', 'reg-plain', 'simple', 'dot', 'sgmat'] as const;

const unroll = (env: string, what: string, auto: string): Knob<Unroll> => ({
  env, values: 'auto, 1 or 2', default: 'auto', parse: oneOf<Unroll>('auto', 1, 2),
  purpose: `runs the K loop of ${what} rolled (1) or unrolled by two (2, so that the shared buffer of each step is a constant); auto: ${auto}`,
});
const blockMap = (env: string, what: string): Knob<BlockMap> => ({
  env, values: 'auto, 0, 4, 8 or 16', default: 'auto', parse: oneOf<BlockMap>('auto', 0, 4, 8, 16),
  purpose: `places each 32 invocations of ${what} in a block that many output groups wide (0: row by row); auto: 8 where the loop is unrolled, else 0`,
});

type TileGroup = 1 | 4 | 8 | 16 | 32;
const tileGroup = (env: string, dflt: TileGroup, what: string): Knob<TileGroup> => ({
  env, values: '1, 4, 8, 16 or 32', default: dflt, parse: oneOf<TileGroup>(1, 4, 8, 16, 32),
  purpose: `how many ${what} run side by side, column by column, so that neighbouring workgroups share rows and columns in L2 (1: row by row)`,
});

export const KNOBS: { [K in keyof Tuning]: Knob<Tuning[K]> } = {
  matmulTile: {
    env: 'SCATTERGRAD_MATMUL_TILE', default: 'auto',
    values: `auto, ${MATMUL_TILES.join(', ')}, TMxTNxBK:RMxRN, ${MATMUL_KERNELS.join(', ')}`,
    parse: namedOr(['auto', ...MATMUL_TILES, ...MATMUL_KERNELS], SIMT_TILE),
    purpose: 'forces a dense matmul kernel: a tile of the vec4 tiled kernel (a name or TMxTNxBK:RMxRN), the CPU-adapter kernel (reg; reg-plain without subgroup broadcasts), the scalar strided one (simple), a workgroup per output (dot), or subgroup matrices where they apply (sgmat); anything but auto also keeps float16 products off the staged tensor-core kernel. Products a forced kernel cannot take go where they would go anyway',
    alias: { env: 'SCATTERGRAD_MATMUL_SIMPLE', value: 'simple' },
  },
  matmulExact: {
    env: 'SCATTERGRAD_MATMUL_EXACT', values: 'auto or off', default: 'auto', parse: oneOf('auto', 'off'),
    purpose: 'off keeps the bounds checks that the small tiled kernel drops when M, N and K are whole tiles',
  },
  matmulTileGroup: tileGroup('SCATTERGRAD_MATMUL_TILE_GROUP', 8, 'tile rows of the dense tiled and tensor-core kernels'),
  matmulUnroll: unroll('SCATTERGRAD_MATMUL_UNROLL', 'the dense tiled kernel', 'unrolled for tiles of 4x4 per invocation (small), rolled for the others'),
  matmulMap: blockMap('SCATTERGRAD_MATMUL_MAP', 'the dense tiled kernel'),
  matmulTc: {
    env: 'SCATTERGRAD_MATMUL_TC', values: 'auto or off', default: 'auto', parse: oneOf('auto', 'off'),
    purpose: 'off keeps float16 matmuls off the staged tensor-core kernel (they take the SIMT or subgroup-matrix kernels)',
  },
  noSubgroupMatrix: {
    env: 'SCATTERGRAD_NO_SUBGROUP_MATRIX', values: '0 or 1 (false or true)', default: false, parse: flag,
    purpose: 'treats the adapter as having no subgroup matrices (tensor cores), whatever it lists',
  },
  moeTile: {
    env: 'SCATTERGRAD_MOE_TILE', values: 'auto, big, mid or TMxTNxBK:RMxRN', default: 'auto',
    parse: namedOr(['auto', 'big', 'mid'], SIMT_TILE),
    purpose: 'forces the tile of the SIMT MoE kernels (scatter2scatter and groupXtY): 128x128x8:8x8, 64x64x16:4x4, or any tile whose vec4 loads divide evenly among its invocations and that fits the adapter',
  },
  moeShared: {
    env: 'SCATTERGRAD_MOE_SHARED', values: 'auto, flat or split', default: 'auto', parse: oneOf('auto', 'flat', 'split'),
    purpose: 'lays out the SIMT MoE kernels\' shared tiles flat or split into array dims (auto: split on GPUs for the rolled loop, else flat)',
  },
  moeUnroll: unroll('SCATTERGRAD_MOE_UNROLL', 'the SIMT MoE kernels', 'unrolled for the tiles of 8x8 per invocation on GPUs, rolled for the others and on CPU adapters'),
  moeMap: blockMap('SCATTERGRAD_MOE_MAP', 'the SIMT MoE kernels'),
  moeTc: {
    env: 'SCATTERGRAD_MOE_TC', values: 'auto, off or emulate', default: 'auto', parse: oneOf('auto', 'off', 'emulate'),
    purpose: 'off forces the SIMT kernels for float16 MoE and matmul; emulate runs the tensor-core ones with the subgroup-matrix builtins written out in plain WGSL (how CI tests them on lavapipe)',
  },
  moeTcTile: {
    env: 'SCATTERGRAD_MOE_TC_TILE', values: 'auto, big, mid, emu2 or SGMxSGNxFMxFNxTK', default: 'auto',
    parse: namedOr(['auto', 'big', 'mid', 'emu2'], TC_TILE),
    purpose: 'forces the tensor-core kernels\' tile (subgroups, 16x16 fragments per subgroup, K per step); emu2 picks the second emulated tile; a tile that does not fit the adapter leaves the kernel to the SIMT ones',
  },
  moeTcXtyTile: {
    env: 'SCATTERGRAD_MOE_TC_XTY_TILE', values: 'same, auto, big, mid, emu2 or SGMxSGNxFMxFNxTK', default: 'same',
    parse: namedOr(['same', 'auto', 'big', 'mid', 'emu2'], TC_TILE),
    purpose: 'the tile of the tensor-core weight-gradient kernel (groupXtY) alone; same: as moeTcTile',
  },
  moeTcPad: {
    env: 'SCATTERGRAD_MOE_TC_PAD', values: 'a multiple of 8 from 0 to 64', default: 8,
    parse: (s) => { const n = Number(text(s)); return text(s) !== '' && Number.isInteger(n) && n >= 0 && n <= 64 && n % 8 === 0 ? n : undefined; },
    purpose: 'halves of padding per row staged in workgroup memory by the tensor-core kernels (8: 16 bytes, so that 8 rows\' fragment loads hit distinct banks)',
  },
  moeTcBdirect: {
    env: 'SCATTERGRAD_MOE_TC_BDIRECT', values: '0 or 1 (false or true)', default: false, parse: flag,
    purpose: 'scatter2scatter on the tensor cores reads W\'s fragments straight from its buffer instead of staging them (whole tiles only)',
  },
  // Groups of 4 were fastest for the tensor-core kernel; grouping did not help the SIMT one (docs/performance.md).
  moeTileGroup: tileGroup('SCATTERGRAD_MOE_TILE_GROUP', 4, 'row blocks of the tensor-core scatter2scatter'),
  moeSimtTileGroup: tileGroup('SCATTERGRAD_MOE_SIMT_TILE_GROUP', 1, 'row blocks of the SIMT scatter2scatter'),
  tcDepth: {
    env: 'SCATTERGRAD_TC_DEPTH', values: '1, 2 or 4', default: 2, parse: oneOf<1 | 2 | 4>(1, 2, 4),
    purpose: 'how many K steps ahead the tensor-core kernels (scatter2scatter, groupXtY and the float16 matmul) load, into as many register sets',
  },
  tcKnockout: {
    env: 'SCATTERGRAD_TC_KNOCKOUT', values: 'none, loads, stores, mma or frag', default: 'none',
    parse: oneOf('none', 'loads', 'stores', 'mma', 'frag'), profiling: true,
    purpose: 'builds the staged tensor-core kernels (their one-step-ahead loop) with one part of the K loop taken out: global loads, staging stores, fragment loads and products, or fragment loads alone',
  },
};

/** Process-wide switches read from the environment when the library loads; not kernel knobs. */
export const SWITCHES = {
  debug: { env: 'SCATTERGRAD_DEBUG', values: '0 or 1', purpose: 'turns on checks that read data back (as `sg.debug(true)`)' },
  printWgsl: { env: 'SCATTERGRAD_PRINT_WGSL', values: '0 or 1', purpose: 'prints each generated WGSL kernel as it is compiled (as `init({ printWgsl: true })`)' },
};

const NAMES = Object.keys(KNOBS) as Array<keyof Tuning>;
const DEFAULTS = Object.fromEntries(NAMES.map((k) => [k, KNOBS[k].default])) as unknown as Tuning;

// The values: defaults, then the environment and init()'s tuning (`base`), then each active
// withTuning() in the order it began. A scope removes its own layer when it ends, so scopes
// that end out of order (overlapping async calls) still leave the others in force.
let base: Partial<Tuning> = {};
let fromEnvironment: Partial<Tuning> | null = null;
const layers: Array<Partial<Tuning>> = [];
let current: Tuning = { ...DEFAULTS };
let allDefault = true;

// Advanced whenever the tuning may have changed (sg.compile re-records then).
let version = 0;

/** A number that changes whenever the tuning in force may have. */
export function tuningVersion(): number {
  return version;
}

function recompute(): void {
  version++;
  current = Object.assign({ ...DEFAULTS }, base, ...layers);
  allDefault = NAMES.every((k) => current[k] === DEFAULTS[k]);
}

// Knobs read since readsWhile() began, or null outside it.
let reads: Set<keyof Tuning> | null = null;

/** A knob's value now. */
export function knob<K extends keyof Tuning>(k: K): Tuning[K] {
  reads?.add(k);
  return current[k];
}

/** Runs fn and returns what it returned with the knobs it read. */
export function readsWhile<T>(fn: () => T): { value: T; reads: Array<keyof Tuning> } {
  const outer = reads;
  const mine = new Set<keyof Tuning>();
  reads = mine;
  try {
    return { value: fn(), reads: [...mine] };
  } finally {
    reads = outer;
    for (const k of mine) outer?.add(k);
  }
}

/** The knobs of `names` that differ from their defaults, with their values, as a pipeline key
 * suffix (`|name=value` each); '' when none does. */
export function tuningKey(names: ReadonlyArray<keyof Tuning>): string {
  if (allDefault) return '';
  let s = '';
  for (const k of names) if (current[k] !== DEFAULTS[k]) s += `|${k}=${current[k]}`;
  return s;
}

function badValue(where: string, k: keyof Tuning, shown: string): Error {
  const spec = KNOBS[k];
  return new Error(`${where}: ${shown} is not allowed; the tuning knob ${k} (${spec.env}) takes ${spec.values}`);
}

/** Checks a tuning object from code: known knobs, allowed values. */
export function parseTuning(over: unknown, where: string): Partial<Tuning> {
  const proto = over !== null && typeof over === 'object' ? Object.getPrototypeOf(over) : undefined;
  if (proto !== Object.prototype && proto !== null) throw new Error(`${where}: tuning must be a plain object, got ${describe(over)}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(over as Record<string, unknown>)) {
    if (!(k in KNOBS)) throw new Error(`${where}: unknown tuning knob '${k}'; the knobs are ${NAMES.join(', ')}`);
    const name = k as keyof Tuning;
    if (v === undefined) continue;
    const parsed = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? KNOBS[name].parse(v) : undefined;
    if (parsed === undefined) throw badValue(where, name, `${name} = ${describe(v)}`);
    out[k] = parsed;
  }
  return out as Partial<Tuning>;
}

const envOf = (name: string): string | undefined => {
  const v = typeof process !== 'undefined' ? process.env?.[name]?.trim() : undefined;
  return v ? v : undefined; // an empty variable is an unset one
};

/** The knobs set in the environment (nothing outside Node); exported for the tests. */
export function readEnvironment(where: string): Partial<Tuning> {
  const out: Record<string, unknown> = {};
  for (const k of NAMES) {
    const spec = KNOBS[k] as Knob<unknown>;
    const raw = envOf(spec.env);
    if (raw !== undefined) {
      const v = spec.parse(raw);
      if (v === undefined) throw badValue(where, k, `${spec.env}=${raw}`);
      out[k] = v;
    }
    const alias = spec.alias && envOf(spec.alias.env);
    if (alias !== undefined && spec.alias) {
      if (alias !== '0' && alias !== '1') throw new Error(`${where}: ${spec.alias.env}=${alias} must be 0 or 1 (1 means ${k} ${String(spec.alias.value)})`);
      if (alias === '1') out[k] = spec.alias.value;
    }
  }
  for (const s of Object.values(SWITCHES)) {
    const raw = envOf(s.env);
    if (raw !== undefined && raw !== '0' && raw !== '1') throw new Error(`${where}: ${s.env}=${raw} must be 0 or 1`);
  }
  return out as Partial<Tuning>;
}

/** SCATTERGRAD_BACKEND (auto, webgpu or cpu): init()'s backend when the call names none. */
export const envBackend = (): string | undefined => envOf('SCATTERGRAD_BACKEND');

/** The variables the Vulkan loader finds its drivers (ICDs) by, for init()'s check on Linux. */
export const vulkanLoaderEnv = (): Record<string, string | undefined> => Object.fromEntries(
  ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES', 'XDG_CONFIG_DIRS', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_DATA_DIRS', 'HOME']
    .map((k) => [k, envOf(k)]));

/** A switch's value in the environment (read leniently at load; init() checks it). */
export const envSwitch = (name: keyof typeof SWITCHES): boolean => envOf(SWITCHES[name].env) === '1';

/**
 * init()'s part: reads the environment the first time, then sets the tuning to the defaults,
 * the environment and `over` (init's `tuning` option). Without `over`, a later init() keeps
 * what the last one set.
 */
export function configureTuning(over: unknown): void {
  const first = fromEnvironment === null;
  const code = over === undefined ? undefined : parseTuning(over, 'init');
  fromEnvironment ??= readEnvironment('init');
  if (!first && code === undefined) return;
  base = { ...fromEnvironment, ...code };
  recompute();
}

/**
 * Runs fn with the knobs of `over` set (camelCase names, as in init's `tuning`), then puts
 * the tuning back, also when fn throws; for an async fn, once its promise settles. Meant for
 * tests and sweeps: scopes that overlap in time all apply until each ends.
 */
export function withTuning<T>(over: Partial<Tuning>, fn: () => T): T {
  const layer = parseTuning(over, 'withTuning');
  layers.push(layer);
  recompute();
  const end = (): void => {
    layers.splice(layers.lastIndexOf(layer), 1);
    recompute();
  };
  let r: T;
  try {
    r = fn();
  } catch (e) {
    end();
    throw e;
  }
  if (r instanceof Promise) return r.finally(end) as T;
  end();
  return r;
}

/** The tuning in force now (a copy). */
export function currentTuning(): Tuning {
  return { ...current };
}
