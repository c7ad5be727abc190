// sg.einsum for one or two operands, lowered onto sum, permute, reshape and bmm so that
// the gradient comes from those ops. Two operands: letters only one side has and the
// output lacks are summed first; then A is laid out [batch, A's kept, contracted] and B
// [batch, contracted, B's kept], one bmm contracts them, and the result is permuted to
// the output's order. Not supported (a clear error): '...', a letter repeated within one
// operand (diagonals and traces), more than two operands.
import { Tensor } from '../tensor/tensor.js';
import { describe, fmtShape } from '../tensor/shape.js';
import { expand, permute, reshape } from './view.js';
import { sum } from './reduce.js';
import { bmm } from './matmul.js';
import { tidy } from '../tensor/scope.js';

interface Parsed { inputs: string[]; output: string }

function parse(equation: string, count: number): Parsed {
  const eq = equation.replace(/\s+/g, '');
  if (eq.includes('.')) throw new Error(`einsum: ellipsis ('...') is not supported, got equation ${describe(equation)}`);
  const [lhs, rhs, ...rest] = eq.split('->');
  if (rest.length) throw new Error(`einsum: equation ${describe(equation)} has more than one '->'`);
  const inputs = lhs.split(',');
  if (!/^[a-zA-Z,]*$/.test(lhs) || (rhs !== undefined && !/^[a-zA-Z]*$/.test(rhs))) {
    throw new Error(`einsum: equation ${describe(equation)} may hold only letters, ',' and '->'`);
  }
  if (inputs.length !== count) throw new Error(`einsum: equation ${describe(equation)} names ${inputs.length} operands but ${count} were given`);
  inputs.forEach((s, k) => {
    if (new Set(s).size !== s.length) throw new Error(`einsum: a letter repeated within operand ${k} ('${s}': a diagonal or trace) is not supported`);
  });
  let output = rhs;
  if (output === undefined) {
    // Implicit output: the letters that appear once, in alphabetical order (PyTorch's rule).
    const all = inputs.join('');
    output = [...new Set(all)].filter((c) => all.indexOf(c) === all.lastIndexOf(c)).sort().join('');
  }
  if (new Set(output).size !== output.length) throw new Error(`einsum: output '${output}' repeats a letter`);
  for (const c of output) if (!inputs.some((s) => s.includes(c))) throw new Error(`einsum: output letter '${c}' does not appear in any operand (equation ${describe(equation)})`);
  return { inputs, output };
}

/** Sums x (letters `s`) over the letters not in `keep`; returns the rest and their letters. */
function sumOut(x: Tensor, s: string, keep: (c: string, d: number) => boolean): [Tensor, string] {
  const drop = [...s].map((c, d) => (keep(c, d) ? -1 : d)).filter((d) => d >= 0);
  if (drop.length === 0) return [x, s];
  return [sum(x, drop), [...s].filter((c, d) => keep(c, d)).join('')];
}

/** x (letters `s`) permuted into the letter order `to` (the same letters). */
function arrange(x: Tensor, s: string, to: string): Tensor {
  if (s === to) return x;
  return permute(x, [...to].map((c) => s.indexOf(c)));
}

/** Einstein summation over one or two operands: 'ij->ji', 'ij->', 'bij,bjk->bik', 'i,j->ij', 'ij,j->i'... */
export function einsum(equation: string, ...operands: Array<Tensor | Tensor[]>): Tensor {
  if (typeof equation !== 'string') throw new Error(`einsum: equation must be a string, got ${describe(equation)}`);
  const ops = (operands.length === 1 && Array.isArray(operands[0]) ? operands[0] : operands) as unknown[];
  if (ops.length < 1 || ops.length > 2) throw new Error(`einsum: takes one or two operands, got ${ops.length}`);
  ops.forEach((t, k) => {
    if (!(t instanceof Tensor)) throw new Error(`einsum: operand ${k} must be a Tensor, got ${describe(t)}`);
    t.assertAlive('einsum');
  });
  const ts = ops as Tensor[];
  const { inputs, output } = parse(equation, ts.length);
  const size = new Map<string, number>();
  ts.forEach((t, k) => {
    if (t.ndim !== inputs[k].length) throw new Error(`einsum: operand ${k} has ${t.ndim} dims (shape ${fmtShape(t.shape)}) but '${inputs[k]}' names ${inputs[k].length}`);
    [...inputs[k]].forEach((c, d) => {
      const n = size.get(c);
      // A size of 1 broadcasts against the other operand's size, as in PyTorch.
      if (n !== undefined && n !== t.shape[d] && n !== 1 && t.shape[d] !== 1) {
        throw new Error(`einsum: letter '${c}' has size ${n} in one place and ${t.shape[d]} in operand ${k} (shape ${fmtShape(t.shape)})`);
      }
      size.set(c, n === undefined || n === 1 ? t.shape[d] : n);
    });
  });
  if (ts.length === 2 && ts[0].device !== ts[1].device) throw new Error(`einsum: operands are on different devices (${ts[0].device} and ${ts[1].device})`);
  if (ts.length === 2 && ts[0].dtype !== ts[1].dtype) throw new Error(`einsum: operands must have one dtype, got ${ts[0].dtype} and ${ts[1].dtype}`);
  if (ts.length === 2 && ts[0].dtype === 'int32') throw new Error(`einsum: two operands are contracted by matmul, which needs floating point tensors; got int32 (cast with .float())`);
  // The intermediate views and sums are disposed here; autograd keeps its own references.
  return tidy(() => {
    const inOut = (c: string): boolean => output.includes(c);
    if (ts.length === 1) {
      const [x, s] = sumOut(ts[0], inputs[0], inOut);
      return s === output && x === ts[0] ? permute(x, [...s].map((_, d) => d)) : arrange(x, s, output);
    }
    const [sa, sb] = inputs;
    const full = (t: Tensor, s: string): Tensor => {
      const want = [...s].map((c, d) => (t.shape[d] === 1 ? size.get(c)! : t.shape[d]));
      return want.every((n, d) => n === t.shape[d]) ? t : expand(t, want);
    };
    // A size-1 letter that broadcasts and is summed away is dropped from its side, so the other
    // side sums it first (as PyTorch: 0 * Inf terms then give what PyTorch gives, not NaN).
    const [a0, sa1] = sumOut(ts[0], sa, (c, d) => inOut(c) || ts[0].shape[d] !== 1 || size.get(c) === 1 || !sb.includes(c));
    const [b0, sb1] = sumOut(ts[1], sb, (c, d) => inOut(c) || ts[1].shape[d] !== 1 || size.get(c) === 1 || !sa1.includes(c));
    const [a, la] = sumOut(full(a0, sa1), sa1, (c) => inOut(c) || sb1.includes(c));
    const [b, lb] = sumOut(full(b0, sb1), sb1, (c) => inOut(c) || sa1.includes(c));
    const batch = [...la].filter((c) => lb.includes(c) && inOut(c)).join('');
    const contr = [...la].filter((c) => lb.includes(c) && !inOut(c)).join('');
    const keepA = [...la].filter((c) => !lb.includes(c)).join('');
    const keepB = [...lb].filter((c) => !la.includes(c)).join('');
    const n = (s: string): number => [...s].reduce((p, c) => p * size.get(c)!, 1);
    const a3 = reshape(arrange(a, la, batch + keepA + contr), [n(batch), n(keepA), n(contr)]);
    const b3 = reshape(arrange(b, lb, batch + contr + keepB), [n(batch), n(contr), n(keepB)]);
    const y = reshape(bmm(a3, b3), [...batch + keepA + keepB].map((c) => size.get(c)!));
    return arrange(y, batch + keepA + keepB, output);
  });
}
