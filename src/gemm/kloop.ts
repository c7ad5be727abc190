// The one K loop of every staged GEMM kernel (the SIMT kernels of gemm/tiled.ts and
// gemm/scatter.ts, the tensor-core kernels of gemm/tc.ts). Each K step stages a slice of A
// and B in one of two shared buffers while the products read the other, so a step needs one
// barrier. The kernel supplies the loads, stores and products as callbacks; the loop passes
// them the buffer, the register set and the K offset, so no generated text is ever rewritten.

/** A shared buffer: the constant 0 or 1 (the loop is unrolled by two), or null where it is not
 * and the kernel names it through WGSL variables (`nb`, the one being filled; the one being
 * read is whatever `head` saves before nb flips). */
export type Buf = 0 | 1 | null;
/** The register set global loads land in: p, or in a depth-D loop the set of step kt % D
 * (p, q, pp, qq; the kernels name registers by set and operand, e.g. qqa0). */
export type Regs = 'p' | 'q' | 'pp' | 'qq';
export const REG_SETS: readonly Regs[] = ['p', 'q', 'pp', 'qq'];

export interface KLoopParts {
  /** WGSL u32 expression: the number of K steps. */
  kTiles: string;
  /** K per step. */
  step: number;
  /** Global memory -> registers `set` for the step whose first k is `k0` (a WGSL expression). */
  loads: (set: Regs, k0: string) => string;
  /** Registers `set` -> shared buffer `buf`. */
  stores: (buf: Buf, set: Regs) => string;
  /** This step's products, reading shared buffer `cur`; `kt` is the step's index (WGSL). */
  body: (cur: Buf, kt: string) => string;
  /** Unrolled by two, which buffer a step reads and fills is a constant, so Dawn proves the
   * shared accesses in bounds instead of clamping each one. */
  unroll: 1 | 2;
  /** Steps ahead the global loads run: D > 1 gives a load D steps of products to arrive in,
   * for D register sets (unrolled loops only; the loop is then unrolled by D). */
  depth?: 1 | 2 | 4;
  /** Statements opening each step of a loop not unrolled, while nb still names the buffer read. */
  head?: string;
  /** Statements refilling the row tables for the rows from K offset `k` on, every `every` rows
   * of K (groupXtY; `every` a multiple of the step). Only loads may read the tables: in a
   * deeper loop they are refilled for the step being loaded, behind a barrier that every
   * earlier step's loads have passed, while the step being stored was loaded from the
   * previous fill. */
  refill?: { code: (k: string) => string; every: number };
  /** Whether the first step's loads wait for kTiles > 0 (the dense SIMT kernel's loads are
   * bounds-checked, so its loop not unrolled issues them unguarded). */
  guardFirst?: boolean;
}

/** WGSL for the K loop; it declares kTiles and k0 (and nb when not unrolled). */
export function kLoop(p: KLoopParts): string {
  const { kTiles, step, loads, stores, body, refill } = p;
  // A step that crossed a refill would read rows of the next chunk from the old tables.
  if (refill && refill.every % step !== 0) throw new Error(`kLoop: row tables of ${refill.every} rows need a K step dividing them, not ${step}`);
  const refillFirst = (): string => (refill ? `  ${refill.code('k0')}\n  workgroupBarrier();\n` : '');
  const refillStep = (): string => (refill ? `    if (more && k0 % ${refill.every}u == 0u) {\n      ${refill.code('k0')}\n      workgroupBarrier();\n    }\n` : '');
  if (p.unroll === 1) {
    const first = p.guardFirst === false ? `${loads('p', 'k0')}${stores(null, 'p')}` : `  if (kTiles > 0u) {\n${loads('p', 'k0')}${stores(null, 'p')}  }\n`;
    return `  let kTiles = ${kTiles};
  var k0 = 0u;
  var nb = 0u;
${refillFirst()}${first}  workgroupBarrier();
  for (var kt = 0u; kt < kTiles; kt++) {
${p.head ?? ''}    let more = kt + 1u < kTiles;
    nb = 1u - nb;
    k0 = k0 + ${step}u;
${refillStep()}    if (more) {
${loads('p', 'k0')}    }
${body(null, 'kt')}    if (more) {
${stores(null, 'p')}    }
    workgroupBarrier();
  }
`;
  }
  const other = (cur: 0 | 1): 0 | 1 => (cur === 0 ? 1 : 0);
  if (p.depth === 2 || p.depth === 4) {
    const D = p.depth;
    // Step kt reads buffer kt % 2, loads step kt + D into the register set it just emptied
    // (kt % D), and stores step kt + 1's set (loaded D - 1 steps ago) into the other buffer.
    // Unrolled by D, every buffer and set is a constant.
    // Inside the loop every earlier step's loads are behind the last step's barrier.
    const refillAt = (k: string): string => (refill
      ? `      if (${k} % ${refill.every}u == 0u) {\n      ${refill.code(k)}\n      workgroupBarrier();\n    }\n` : '');
    const step1 = (j: number, kt: string): string => {
      const cur = (j % 2) as 0 | 1;
      return `    {
    if (${kt} + ${D}u < kTiles) {
      let kl = k0 + ${D * step}u;
${refillAt('kl')}${loads(REG_SETS[j], 'kl')}    }
${body(cur, kt)}    if (${kt} + 1u < kTiles) {
${stores(other(cur), REG_SETS[(j + 1) % D])}    }
    workgroupBarrier();
    k0 = k0 + ${step}u;
    }
`;
    };
    let first = `${refillFirst()}  if (kTiles > 0u) {\n${loads('p', '0u')}${stores(0, 'p')}  }\n`;
    for (let j = 1; j < D; j++) {
      // The opening loads have no barrier between them: a refill here first waits for every
      // invocation's loads of the steps before.
      const fill = refill && (j * step) % refill.every === 0 ? `    workgroupBarrier();\n    ${refill.code(`${j * step}u`)}\n    workgroupBarrier();\n` : '';
      first += `  if (kTiles > ${j}u) {\n${fill}${loads(REG_SETS[j], `${j * step}u`)}  }\n`;
    }
    let steps = step1(0, 'kt');
    for (let j = 1; j < D; j++) steps += `    if (kt + ${j}u < kTiles) {\n${step1(j, `(kt + ${j}u)`)}    }\n`;
    return `  let kTiles = ${kTiles};
  var k0 = 0u;
${first}  workgroupBarrier();
  for (var kt = 0u; kt < kTiles; kt += ${D}u) {
${steps}  }
`;
  }
  const half = (cur: 0 | 1, kt: string): string => `    {
    let more = ${kt} + 1u < kTiles;
    k0 = k0 + ${step}u;
${refillStep()}    if (more) {
${loads('p', 'k0')}    }
${body(cur, kt)}    if (more) {
${stores(other(cur), 'p')}    }
    workgroupBarrier();
    }
`;
  return `  let kTiles = ${kTiles};
  var k0 = 0u;
${refillFirst()}  if (kTiles > 0u) {
${loads('p', 'k0')}${stores(0, 'p')}  }
  workgroupBarrier();
  for (var kt = 0u; kt < kTiles; kt += 2u) {
${half(0, 'kt')}    if (kt + 1u < kTiles) {
${half(1, '(kt + 1u)')}    }
  }
`;
}

/** A buffer as a WGSL u32 expression: the constant, or the loop's variable `name`. */
export const bufExpr = (b: Buf, name: string): string => (b === null ? name : `${b}u`);
