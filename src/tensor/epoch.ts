// Host-side switches that change which GPU work the same code does: a leaf's requiresGrad,
// a module's train/eval mode. sg.compile replays recorded work only while this is unchanged.
let epoch = 0;

export function programChanged(): void {
  epoch++;
}

export function programEpoch(): number {
  return epoch;
}
