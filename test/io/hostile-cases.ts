// Hand-written safetensors files, each with the reference implementation's verdict (the
// `safetensors` crate, 0.8.0 through its Python binding's `deserialize`, checked by hand
// once per case): what a file from a stranger may look like, and what must be refused.

export interface Case {
  what: string;
  /** The header exactly as written after the 8-byte length (padding included). */
  header: string | Uint8Array;
  /** Bytes of data after the header. */
  data: number;
  /** The reference crate's verdict on the file. */
  reference: 'loads' | 'refuses';
  /** Our error for it, when we refuse it: each pattern must match (the op name is checked apart). */
  error?: RegExp[];
  /** Why we refuse a file the crate loads: the format's written rules, or our own limits. */
  why?: string;
  /** The names (sorted) we load, when we load it. */
  names?: string[];
}

const SPEC_START = "the format's spec: the header MUST begin with '{' (the crate reserves the check for later)";
const SPEC_DUPLICATES = "the format's spec: duplicate keys are disallowed (the crate's map keeps the last one)";

const e = (dtype: string, shape: unknown, offsets: unknown): string =>
  JSON.stringify({ dtype, shape, data_offsets: offsets });
const a8 = e('F32', [2], [0, 8]);

export const CASES: Case[] = [
  // ---- files the reference loads ----
  { what: 'space padding after the closing brace', header: `{"a":${a8}}     `, data: 8, reference: 'loads', names: ['a'] },
  { what: 'other JSON whitespace as padding', header: `{"a":${a8}}\n\t\r `, data: 8, reference: 'loads', names: ['a'] },
  { what: 'whitespace inside the object', header: `{ "a" : { "dtype" : "F32" , "shape" : [ 2 ] , "data_offsets" : [ 0 , 8 ] } }`, data: 8, reference: 'loads', names: ['a'] },
  { what: 'an empty header', header: '{}      ', data: 0, reference: 'loads', names: [] },
  { what: 'keys not in data order', header: `{"b":${e('I32', [1], [8, 12])},"a":${a8}}`, data: 12, reference: 'loads', names: ['a', 'b'] },
  { what: 'empty tensors at the start, middle and end', header: `{"e0":${e('F32', [0], [0, 0])},"a":${a8},"e1":${e('F16', [3, 0], [8, 8])},"b":${e('I32', [1], [8, 12])},"e2":${e('I32', [0, 5], [12, 12])}}`, data: 12, reference: 'loads', names: ['a', 'b', 'e0', 'e1', 'e2'] },
  { what: 'a scalar (shape [])', header: `{"s":${e('F32', [], [0, 4])}}`, data: 4, reference: 'loads', names: ['s'] },
  { what: 'names that are Object.prototype properties', header: `{"__proto__":${e('F32', [1], [0, 4])},"constructor":${e('F32', [1], [4, 8])},"toString":${e('F32', [1], [8, 12])},"hasOwnProperty":${e('F32', [1], [12, 16])}}`, data: 16, reference: 'loads', names: ['__proto__', 'constructor', 'hasOwnProperty', 'toString'] },
  { what: 'escaped names, a surrogate pair included', header: `{"\\u00e9\\n\\"\\ud83d\\ude00":${a8}}`, data: 8, reference: 'loads', names: ['é\n"😀'] },
  { what: 'an empty name', header: `{"":${a8}}`, data: 8, reference: 'loads', names: [''] },
  { what: 'a field the reference does not know', header: `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":{"x":[1.5,-2e3,true,null]}}}`, data: 8, reference: 'loads', names: ['a'] },
  { what: '__metadata__: null', header: `{"__metadata__":null,"a":${a8}}`, data: 8, reference: 'loads', names: ['a'] },
  { what: 'metadata with prototype names', header: `{"__metadata__":{"__proto__":"p","toString":"t"},"a":${a8}}`, data: 8, reference: 'loads', names: ['a'] },

  // ---- the length and the start ----
  { what: 'a header not starting with {', header: ` {"a":${a8}}`, data: 8, reference: 'loads', why: SPEC_START, error: [/must start with '\{'/, /0x20/] },
  { what: 'a JSON array', header: '[]', data: 0, reference: 'refuses', error: [/must start with '\{'/] },
  { what: 'a byte-order mark', header: new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(`{"a":${a8}}`)]), data: 8, reference: 'refuses', error: [/must start with '\{'/, /0xef/] },
  { what: 'an empty header (N = 0)', header: '', data: 8, reference: 'refuses', error: [/must start with '\{'/, /empty/] },
  { what: 'bytes that are not UTF-8', header: new Uint8Array([...new TextEncoder().encode('{"a'), 0xff, ...new TextEncoder().encode(`":${a8}}`)]), data: 8, reference: 'refuses', error: [/not valid UTF-8/] },
  { what: 'an overlong UTF-8 encoding', header: new Uint8Array([...new TextEncoder().encode('{"a'), 0xc0, 0xaf, ...new TextEncoder().encode(`":${a8}}`)]), data: 8, reference: 'refuses', error: [/not valid UTF-8/] },

  // ---- JSON the reference's parser refuses ----
  { what: 'a trailing comma', header: `{"a":${a8},}`, data: 8, reference: 'refuses', error: [/not valid JSON/, /string key/] },
  { what: 'text after the closing brace', header: `{"a":${a8}} x`, data: 8, reference: 'refuses', error: [/not valid JSON/, /nothing but spaces/] },
  { what: 'a second object after the first', header: `{"a":${a8}}{}`, data: 8, reference: 'refuses', error: [/not valid JSON/] },
  { what: 'a NUL byte as padding', header: `{"a":${a8}}\0`, data: 8, reference: 'refuses', error: [/not valid JSON/] },
  { what: 'an unterminated string', header: '{"a', data: 0, reference: 'refuses', error: [/not valid JSON/, /unterminated/] },
  { what: 'an unterminated object', header: `{"a":${a8}`, data: 8, reference: 'refuses', error: [/not valid JSON/] },
  { what: 'single quotes', header: "{'a':1}", data: 0, reference: 'refuses', error: [/not valid JSON/] },
  { what: 'a raw newline in a name', header: `{"a\nb":${a8}}`, data: 8, reference: 'refuses', error: [/not valid JSON/, /control character/] },
  { what: 'an invalid escape', header: `{"a\\x":${a8}}`, data: 8, reference: 'refuses', error: [/not valid JSON/, /escape/] },
  { what: 'a lone high surrogate escape', header: `{"a\\ud800":${a8}}`, data: 8, reference: 'refuses', error: [/not valid JSON/, /surrogate/] },
  { what: 'a lone low surrogate escape', header: `{"a\\udc00":${a8}}`, data: 8, reference: 'refuses', error: [/not valid JSON/, /surrogate/] },
  { what: 'a number with a leading zero in an unknown field', header: `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":01}}`, data: 8, reference: 'refuses', error: [/not valid JSON/] },
  { what: 'NaN in an unknown field', header: `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":NaN}}`, data: 8, reference: 'refuses', error: [/not valid JSON/] },
  { what: 'nesting deeper than 128 in an unknown field', header: `{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":${'['.repeat(200)}${']'.repeat(200)}}}`, data: 8, reference: 'refuses', error: [/not valid JSON/, /nested deeper than 128/] },

  // ---- duplicate keys (JSON.parse would keep the last one silently) ----
  { what: 'a tensor named twice', header: `{"a":${a8},"a":${e('F32', [2], [8, 16])}}`, data: 16, reference: 'refuses', error: [/'a' twice/, /duplicate/] },
  { what: 'a tensor named twice, the same entry', header: `{"a":${a8},"a":${a8}}`, data: 8, reference: 'loads', why: SPEC_DUPLICATES, error: [/'a' twice/] },
  { what: 'two names equal once unescaped', header: `{"a":${a8},"\\u0061":${e('F32', [2], [8, 16])}}`, data: 16, reference: 'refuses', error: [/'a' twice/] },
  { what: '__metadata__ twice', header: `{"__metadata__":{},"__metadata__":{},"a":${a8}}`, data: 8, reference: 'refuses', error: [/'__metadata__' twice/] },
  { what: 'a metadata key twice', header: `{"__metadata__":{"k":"1","k":"2"},"a":${a8}}`, data: 8, reference: 'loads', why: SPEC_DUPLICATES, error: [/__metadata__ names 'k' twice/] },
  { what: 'a field twice in one entry', header: `{"a":{"dtype":"F32","shape":[2],"shape":[2],"data_offsets":[0,8]}}`, data: 8, reference: 'refuses', error: [/tensor 'a'/, /'shape' appears twice/] },

  // ---- __metadata__ is a string → string map ----
  { what: 'a metadata number', header: `{"__metadata__":{"n":1},"a":${a8}}`, data: 8, reference: 'refuses', error: [/__metadata__ value 'n' must be a string/, /got 1/] },
  { what: 'a nested metadata object', header: `{"__metadata__":{"n":{"x":"y"}},"a":${a8}}`, data: 8, reference: 'refuses', error: [/__metadata__ value 'n' must be a string/] },
  { what: 'metadata as an array', header: `{"__metadata__":["x"],"a":${a8}}`, data: 8, reference: 'refuses', error: [/__metadata__ must be an object/, /\["x"\]/] },
  { what: 'metadata as a string', header: `{"__metadata__":"x","a":${a8}}`, data: 8, reference: 'refuses', error: [/__metadata__ must be an object/] },

  // ---- entries ----
  { what: 'an entry that is a number', header: '{"a":5}', data: 0, reference: 'refuses', error: [/tensor 'a'/, /expected \{ dtype, shape, data_offsets \}/, /got 5/] },
  { what: 'a missing dtype', header: '{"a":{"shape":[2],"data_offsets":[0,8]}}', data: 8, reference: 'refuses', error: [/tensor 'a'/, /missing dtype/] },
  { what: 'a missing data_offsets', header: '{"a":{"dtype":"F32","shape":[2]}}', data: 8, reference: 'refuses', error: [/tensor 'a'/, /missing data_offsets/] },
  { what: "dtype 'toString'", header: `{"a":${e('toString', [2], [0, 8])}}`, data: 8, reference: 'refuses', error: [/tensor 'a'/, /unknown dtype "toString"/] },
  { what: "dtype '__proto__'", header: `{"a":${e('__proto__', [2], [0, 8])}}`, data: 8, reference: 'refuses', error: [/unknown dtype "__proto__"/] },
  { what: "dtype 'constructor'", header: `{"a":${e('constructor', [2], [0, 8])}}`, data: 8, reference: 'refuses', error: [/unknown dtype "constructor"/] },
  { what: 'a lower-case dtype', header: `{"a":${e('f32', [2], [0, 8])}}`, data: 8, reference: 'refuses', error: [/unknown dtype "f32"/] },
  { what: 'a dtype that is a number', header: `{"a":${e(4 as unknown as string, [2], [0, 8])}}`, data: 8, reference: 'refuses', error: [/dtype must be a string/, /got 4/] },
  { what: 'a negative shape', header: `{"a":${e('F32', [-2], [0, 8])}}`, data: 8, reference: 'refuses', error: [/tensor 'a'/, /shape must be an array of integers/, /got \[-2\]/] },
  { what: 'a fractional shape', header: `{"a":${e('F32', [2.5], [0, 10])}}`, data: 10, reference: 'refuses', error: [/shape must be an array of integers/, /2\.5/] },
  { what: 'a shape written 2.0', header: '{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', data: 8, reference: 'refuses', error: [/shape must be an array of integers/, /2\.0/] },
  { what: 'a shape written 2e0', header: '{"a":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}', data: 8, reference: 'refuses', error: [/shape must be an array of integers/] },
  { what: 'a shape -0', header: '{"a":{"dtype":"F32","shape":[-0,2],"data_offsets":[0,0]}}', data: 0, reference: 'refuses', error: [/shape must be an array of integers/] },
  { what: 'a shape of strings', header: `{"a":${e('F32', ['2'], [0, 8])}}`, data: 8, reference: 'refuses', error: [/shape must be an array of integers/, /"2"/] },
  { what: 'a shape that is a number', header: `{"a":${e('F32', 2, [0, 8])}}`, data: 8, reference: 'refuses', error: [/shape must be an array of integers/] },
  { what: 'a nested shape', header: `{"a":${e('F32', [[2]], [0, 8])}}`, data: 8, reference: 'refuses', error: [/shape must be an array of integers/] },
  { what: 'a null in the shape', header: `{"a":${e('F32', [null], [0, 8])}}`, data: 8, reference: 'refuses', error: [/shape must be an array of integers/] },
  { what: 'three data_offsets', header: `{"a":${e('F32', [2], [0, 8, 8])}}`, data: 8, reference: 'refuses', error: [/data_offsets must be \[begin, end\]/, /\[0,8,8\]/] },
  { what: 'reversed data_offsets', header: `{"a":${e('F32', [0], [8, 0])}}`, data: 8, reference: 'refuses', error: [/tensor 'a'/, /data_offsets must be \[begin, end\]/] },
  { what: 'negative data_offsets', header: `{"a":${e('F32', [2], [-8, 0])}}`, data: 8, reference: 'refuses', error: [/data_offsets must be/] },
  { what: 'fractional data_offsets', header: `{"a":${e('F32', [2], [0, 8.5])}}`, data: 8, reference: 'refuses', error: [/data_offsets must be/] },

  // ---- sizes and layout ----
  { what: 'offsets that do not match shape × dtype', header: `{"a":${e('F32', [3], [0, 8])}}`, data: 8, reference: 'refuses', error: [/tensor 'a'/, /shape \[3\] of F32 needs 12 bytes/, /hold 8/] },
  { what: 'an F16 sized as F32', header: `{"a":${e('F16', [2], [0, 8])}}`, data: 8, reference: 'refuses', error: [/F16 needs 4 bytes/] },
  { what: 'a shape whose size overflows', header: `{"a":${e('F32', [2 ** 32, 2 ** 32, 0], [0, 0])}}`, data: 0, reference: 'refuses', error: [/tensor 'a'/, /more than 2\^53 elements/] },
  { what: 'a shape entry past 2^64', header: '{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,0]}}', data: 0, reference: 'refuses', error: [/shape must be an array of integers/] },
  { what: 'data past the end of the file', header: `{"a":${a8}}`, data: 4, reference: 'refuses', error: [/tensor 'a'/, /out of range/, /4 bytes/] },
  { what: 'trailing bytes after the last tensor', header: `{"a":${a8}}`, data: 9, reference: 'refuses', error: [/9 bytes but the tensors end at 8/, /1 trailing bytes/] },
  { what: 'data and no tensors', header: '{}', data: 4, reference: 'refuses', error: [/4 trailing bytes/] },
  { what: 'a hole at the start', header: `{"a":${e('F32', [2], [4, 12])}}`, data: 12, reference: 'refuses', error: [/tensor 'a' starts at byte 4/, /hole of 4 bytes at the start/] },
  { what: 'a hole between tensors', header: `{"a":${a8},"b":${e('F32', [1], [12, 16])}}`, data: 16, reference: 'refuses', error: [/tensor 'b' starts at byte 12/, /hole of 4 bytes after 'a' ends at 8/] },
  { what: 'overlapping tensors', header: `{"a":${a8},"b":${e('I32', [1], [4, 8])}}`, data: 8, reference: 'refuses', error: [/tensors 'a' \(data_offsets \[0, 8\]\) and 'b' \(data_offsets \[4, 8\]\) overlap/] },
  { what: 'two tensors on the same bytes', header: `{"a":${a8},"b":${a8}}`, data: 8, reference: 'refuses', error: [/'a'/, /'b'/, /overlap/] },
  { what: 'an empty tensor inside another', header: `{"a":${a8},"e":${e('F32', [0], [4, 4])}}`, data: 8, reference: 'refuses', error: [/'a'/, /'e'/, /overlap/] },
  { what: 'a tensor inside another', header: `{"a":${e('F32', [4], [0, 16])},"b":${e('F32', [1], [4, 8])}}`, data: 16, reference: 'refuses', error: [/'a'/, /'b'/, /overlap/] },

  // ---- valid files we cannot hold: our dtypes and JS numbers ----
  { what: 'an F8_E4M3 tensor', header: `{"a":${e('F8_E4M3', [2], [0, 2])}}`, data: 2, reference: 'loads', why: 'we hold (or widen into) F32, F16, I32 and BOOL only', error: [/tensor 'a'/, /unsupported dtype "F8_E4M3"/, /F32, F16, I32, BOOL, BF16/] },
  { what: 'an empty tensor with a dim past 2^53', header: '{"a":{"dtype":"F32","shape":[0,9007199254740993],"data_offsets":[0,0]}}', data: 0, reference: 'loads', why: 'a JS number holds integers exactly up to 2^53 only', error: [/shape must be an array of integers from 0 to 2\^53 - 1/] },
];
