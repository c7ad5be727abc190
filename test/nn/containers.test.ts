// Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten: state-dict keys and
// parameter order equal torch's (modules-torch.py), a Sequential's output and gradients equal
// torch's on every backend, train/eval reach every child, and bad arguments name the class.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { Module, Linear, LayerNorm, Dropout, Sequential, ModuleList, ModuleDict, Identity, Flatten, Unflatten, ReLU, GELU, Tanh } from '../../src/nn/index.js';
import { allclose, backends, throwsBeforeWork, throwsWith } from '../helpers.js';
import { NET_KEYS, SEQ } from './modules-torch.js';

const cpu = { device: 'cpu' as const };

class Net extends Module {
  stem = new Sequential(new Linear(3, 4, cpu), new ReLU(), new Linear(4, 4, { bias: false, ...cpu }));
  blocks = new ModuleList([0, 1].map(() => new Sequential(new LayerNorm(4, cpu), new Linear(4, 4, cpu))));
  heads = new ModuleDict({ cls: new Linear(4, 2, cpu), reg: new Linear(4, 1, cpu) });
  named = new Sequential({ fc: new Linear(4, 4, cpu), act: new GELU(), out: new Identity() });
  forward(x: Tensor): Tensor { return x; }
}

test('state-dict keys and parameter order are torch\'s for nested Sequential, ModuleList, ModuleDict', () => {
  const net = new Net();
  assert.equal(Object.keys(net.stateDict()), NET_KEYS);
  assert.equal(net.namedParameters().map(([n]) => n), NET_KEYS);
  assert.equal(net.stem.namedChildren().map(([n]) => n), ['0', '1', '2']);
  assert.equal(net.named.namedChildren().map(([n]) => n), ['fc', 'act', 'out']);
  net.dispose();
  assert.ok(net.stem.at(0) instanceof Linear && (net.stem.at(0) as Linear).weight.disposed, 'dispose reaches Sequential children');
  assert.ok((net.heads.get('reg') as Linear).bias!.disposed, 'dispose reaches ModuleDict children');
});

test('Sequential: output and gradients equal torch\'s on every backend (Linear, Tanh, Flatten, Unflatten)', async () => {
  for (const dev of await backends()) {
    const seq = new Sequential(new Linear(3, 5, { device: dev }), new Tanh(), new Flatten(0), new Unflatten(0, [2, 5]), new Linear(5, 2, { device: dev }));
    const sd = Object.fromEntries(Object.entries(SEQ.params).map(([k, p]) => [k, sg.tensor(p.v, { shape: p.shape, device: 'cpu' })]));
    seq.loadStateDict(sd);
    const x = sg.tensor(SEQ.x, { shape: [2, 3], device: dev, requiresGrad: true });
    const y = seq.forward(x);
    assert.equal(y.shape, SEQ.yShape);
    allclose(await y.toArray(), SEQ.y, { rtol: 1e-5, atol: 1e-6 }, `${dev} y`);
    const loss = y.mul(sg.tensor(SEQ.w, { shape: SEQ.yShape, device: dev })).sum();
    loss.backward();
    allclose(await x.grad!.toArray(), SEQ.gx, { rtol: 1e-5, atol: 1e-6 }, `${dev} x.grad`);
    for (const [k, p] of seq.namedParameters()) allclose(await p.grad!.toArray(), SEQ.grads[k as keyof typeof SEQ.grads], { rtol: 1e-5, atol: 1e-6 }, `${dev} ${k}.grad`);
    for (const t of [x, y, loss, ...Object.values(sd)]) t.dispose();
    seq.dispose();
  }
});

test('train/eval reach children of every container', () => {
  const d = () => new Dropout(0.5);
  const m = new Sequential(d(), new ModuleList([d(), new Sequential(d())]), new ModuleDict({ a: d() }));
  const drops = (): Module[] => {
    const all: Module[] = [];
    const walk = (x: Module): void => { if (x instanceof Dropout) all.push(x); x.children().forEach(walk); };
    walk(m);
    return all;
  };
  assert.is(drops().length, 4);
  m.eval();
  assert.ok(drops().every((x) => !x.training) && !m.training);
  m.train();
  assert.ok(drops().every((x) => x.training));
});

test('Sequential and ModuleList: indexing, length, iteration, append, insert, extend', async () => {
  const [a, b, c] = [new ReLU(), new Tanh(), new Identity()];
  const s = new Sequential(a, b);
  assert.is(s.length, 2);
  assert.is(s[0], a);
  assert.is(s.at(-1), b);
  assert.equal([...s], [a, b]);
  s.append(c);
  assert.is(s[2], c);
  throwsWith(() => s.at(3), /^Sequential: index 3 is out of range for 3/);
  // After named children, an appended '2' would be listed (and run) first: refused, not reordered.
  const named = new Sequential({ scale: new Tanh(), act: new ReLU() });
  throwsWith(() => named.append(new Identity()), /^Sequential: keys 'scale', 'act', '2' would be listed as '2', 'scale', 'act'/);
  assert.equal(named.namedChildren().map(([n]) => n), ['scale', 'act']);
  const l = new ModuleList([a]);
  l.extend([c]).insert(0, b);
  assert.equal([...l], [b, a, c]);
  assert.equal(l.namedChildren().map(([n]) => n), ['0', '1', '2']);
  l.insert(-1, a);
  assert.equal([...l], [b, a, a, c]);
  throwsWith(() => l.forward(), /^ModuleList: has no forward/);
  // An empty Sequential returns its input; Identity returns the same tensor.
  const x = sg.tensor([1, -2], cpu);
  assert.is(new Sequential().forward(x), x);
  assert.is(new Identity(3, 'ignored').forward(x), x);
  const y = new Sequential(new ReLU(), new Identity()).forward(x);
  assert.equal(Array.from(await y.toArray()), [1, 0]);
  x.dispose();
  y.dispose();
});

test('ModuleDict: get/set/has/pop/keys/items; a replaced key keeps its place; [key, Module] pairs', () => {
  const [a, b, c] = [new ReLU(), new Tanh(), new Identity()];
  const d = new ModuleDict([['x', a], ['y', b]]);
  assert.equal(d.keys(), ['x', 'y']);
  d.set('x', c);
  assert.equal(d.items(), [['x', c], ['y', b]]);
  d.update({ z: a });
  assert.equal(d.keys(), ['x', 'y', 'z']);
  assert.ok(d.has('z') && !d.has('forward') && d.get('forward') === undefined);
  assert.is(d.pop('y'), b);
  assert.equal(d.values(), [c, a]);
  assert.is(d.length, 2);
  throwsWith(() => d.pop('nope'), /^ModuleDict: no module named "nope"/);
  // Integer-like keys: JavaScript would list '1' before 'b', so that order is refused, not
  // reordered (an object literal { b, 1 } is already in JavaScript's order when it arrives).
  throwsWith(() => new ModuleDict([['b', a], ['1', c]]), /^ModuleDict: keys 'b', '1' would be listed as '1', 'b'/, /integer-like/);
  throwsWith(() => d.set('7', b), /^ModuleDict: keys 'x', 'z', '7'/);
  assert.equal(d.keys(), ['x', 'z'], 'a refused set adds nothing');
  assert.equal(new ModuleDict([['0', a], ['2', b], ['k', c]]).keys(), ['0', '2', 'k']);
  throwsWith(() => new ModuleDict([['2', a], ['0', b]]), /^ModuleDict: keys '2', '0' would be listed as '0', '2'/);
});

test('bad arguments throw Errors starting with the class name, before any work', () => {
  const lin = new Linear(2, 2, cpu);
  throwsBeforeWork('Sequential non-module', () => new Sequential(lin, 'x' as unknown as Module), [/^Sequential: argument 1 must be a Module/]);
  throwsBeforeWork('Sequential map', () => new Sequential(new Map() as unknown as Module), [/^Sequential: /]);
  throwsBeforeWork('Sequential dotted', () => new Sequential({ 'a.b': lin }), [/^Sequential: module name cannot contain "\."/]);
  throwsBeforeWork('ModuleList null', () => new ModuleList(null as unknown as Module[]), [/^ModuleList: modules must be/]);
  throwsBeforeWork('ModuleList element', () => new ModuleList([lin, 3 as unknown as Module]), [/^ModuleList: modules\[1\] must be a Module, got 3/]);
  throwsBeforeWork('ModuleDict forward key', () => new ModuleDict({ forward: lin }), [/^ModuleDict: attribute 'forward' already exists/]);
  throwsBeforeWork('ModuleDict training key', () => new ModuleDict({ training: lin }), [/^ModuleDict: attribute 'training' already exists/]);
  throwsBeforeWork('ModuleDict empty key', () => new ModuleDict({ '': lin }), [/^ModuleDict: a module name cannot be the empty string/]);
  throwsBeforeWork('ModuleDict value', () => new ModuleDict({ a: 1 as unknown as Module }), [/^ModuleDict: module 'a' must be a Module/]);
  throwsBeforeWork('Flatten', () => new Flatten(1.5), [/^Flatten: startDim must be an integer, got 1\.5/]);
  throwsBeforeWork('Unflatten sizes', () => new Unflatten(0, []), [/^Unflatten: unflattenedSize must be non-empty/]);
  throwsBeforeWork('Unflatten dim', () => new Unflatten('0' as unknown as number, [2]), [/^Unflatten: dim must be an integer/]);
  const x = sg.zeros([4], cpu);
  throwsBeforeWork('Flatten forward', () => new Flatten().forward(x), [/^Flatten: flatten: /, /dim/]);
  throwsBeforeWork('Unflatten forward', () => new Unflatten(0, [3, -1]).forward(x), [/^Unflatten: /]);
  throwsBeforeWork('Identity forward', () => new Identity().forward(3 as unknown as Tensor), [/^Identity: input must be a Tensor/]);
  x.dispose();
  lin.dispose();
});

test.run();
