// The OpenCLIP tokenizer.json written by native-models/venhancer/tokenizer.py, loaded the way the engine loads it
// (loadPromptTokenizer: @huggingface/tokenizers, the engine's padding and truncation), gives open_clip 2.20.0's ids
// for every prompt of the reference fixture.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Tokenizer } from '@huggingface/tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPromptTokenizer, type PromptTokenizer } from '../../main/engine/pack/text';
import { makeTempDir } from '../helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'tests/fixtures/venhancer');

interface ReferenceCase {
  prompt: string;
  ids: number[];
  encoded_without_special: number[];
}
interface Reference {
  sot: number;
  eot: number;
  pad: number;
  cases: ReferenceCase[];
}

const reference: Reference = JSON.parse(readFileSync(path.join(FIXTURES, 'tokenizer-ids.json'), 'utf8'));
const positivePrompt = reference.cases[3].prompt; // VEnhancer cfg.positive_prompt
const negativePrompt = reference.cases[4].prompt; // VEnhancer cfg.negative_prompt

describe('VEnhancer OpenCLIP tokenizer.json', () => {
  const temp = makeTempDir('upframe-tokenizer-');
  const file = path.join(temp.dir, 'tokenizer.json');
  let prompts: PromptTokenizer;
  let raw: Tokenizer;

  beforeAll(async () => {
    await promisify(execFile)('/usr/bin/python3', ['-m', 'venhancer.tokenizer', path.join(FIXTURES, 'bpe_simple_vocab_16e6.txt.gz'), file], {
      cwd: path.join(ROOT, 'native-models'),
    });
    const spec = {
      tokenizer: 'tokenizer.json',
      maxTokens: 77,
      hiddenSize: 1024,
      padTokenId: reference.pad,
      positiveSuffix: positivePrompt,
      negativePrompt,
    };
    prompts = await loadPromptTokenizer(file, spec, 'venhancer-tokenizer-test');
    raw = new Tokenizer(JSON.parse(readFileSync(file, 'utf8')), {});
  }, 120_000);
  afterAll(() => temp.cleanup());

  it('has the reference fixture to compare with', () => {
    expect(reference.cases).toHaveLength(20);
    expect([reference.sot, reference.eot, reference.pad]).toEqual([49406, 49407, 0]);
  });

  it.each(reference.cases.map((c, i) => [i, c] as const))('case %i: 77 ids equal open_clip tokenize()', (_i, c) => {
    const ids = prompts.encode(c.prompt);
    expect(ids).toHaveLength(77);
    expect(ids).toEqual(c.ids);
  });

  it.each(reference.cases.map((c, i) => [i, c] as const))('case %i: untruncated BPE ids equal open_clip encode()', (_i, c) => {
    expect(raw.encode(c.prompt, { add_special_tokens: false }).ids).toEqual(c.encoded_without_special);
  });

  it('pads short prompts with 0 after the end token and forces the end token into slot 76 of long ones', () => {
    const short = reference.cases.find((c) => c.encoded_without_special.length < 10)!;
    const shortIds = prompts.encode(short.prompt);
    expect(shortIds.slice(0, short.encoded_without_special.length + 2)).toEqual([49406, ...short.encoded_without_special, 49407]);
    expect(shortIds.slice(short.encoded_without_special.length + 2).every((id) => id === 0)).toBe(true);
    const long = reference.cases.filter((c) => c.encoded_without_special.length > 75);
    expect(long.length).toBeGreaterThanOrEqual(2);
    for (const c of long) {
      const ids = prompts.encode(c.prompt);
      expect(ids.slice(0, 76)).toEqual([49406, ...c.encoded_without_special.slice(0, 75)]);
      expect(ids[76]).toBe(49407);
    }
  });

  it('builds the VEnhancer caption (prompt + positive suffix) and the negative prompt as the reference does', () => {
    const caption = reference.cases.find((c) => c.prompt === `a good video${positivePrompt}`)!;
    expect(prompts.encodePrompt('a good video')).toEqual(caption.ids);
    expect(prompts.encodeNegative()).toEqual(reference.cases[4].ids);
  });

  it('unescapes HTML entities twice, as open_clip does', () => {
    expect(prompts.encode('rock &amp; roll &lt;3 &quot;x&quot; it&#39;s')).toEqual(prompts.encode('rock & roll <3 "x" it\'s'));
    expect(prompts.encode('a &amp;lt; b')).toEqual(prompts.encode('a < b'));
  });
});
