// docs/tuning.md is generated from the tuning table (node scripts/gen-tuning-doc.mjs): it must be
// what the table gives now, and the README must send readers there instead of listing knobs.
import { suite } from 'uvu';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KNOBS, type Tuning } from '../../src/backend/tuning.js';
import { tuningDoc } from '../../src/backend/tuning-doc.js';

const test = suite('tuning-doc');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const names = Object.keys(KNOBS) as Array<keyof Tuning>;

test('docs/tuning.md is what the table generates (node scripts/gen-tuning-doc.mjs)', () => {
  const file = readFileSync(`${root}docs/tuning.md`, 'utf8');
  if (file !== tuningDoc()) throw new Error('docs/tuning.md differs from the tuning table; run node scripts/gen-tuning-doc.mjs');
  for (const k of names) if (!file.includes(`| \`${k}\` | \`${KNOBS[k].env}\``)) throw new Error(`docs/tuning.md has no row for ${k}`);
  const readme = readFileSync(`${root}README.md`, 'utf8');
  if (!readme.includes('(docs/tuning.md)')) throw new Error('the README does not link docs/tuning.md');
  // The knobs are documented once: the README names none of their variables.
  for (const k of names) if (readme.includes(KNOBS[k].env)) throw new Error(`the README describes ${KNOBS[k].env}; docs/tuning.md is the place`);
});

test.run();
