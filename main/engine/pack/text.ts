// Prompt -> token ids for a pack's text encoder, with the pack's Hugging Face tokenizer.json: the user's prompt
// plus the pack's positive suffix, or the fixed negative prompt; padded or truncated to text.maxTokens.
import fs from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import type { PackManifest } from './manifest';
import { PackError } from './errors';

type TextSpec = NonNullable<PackManifest['text']>;

export class PromptTokenizer {
  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly spec: TextSpec,
  ) {}

  /** Token ids of `text`, exactly maxTokens long. When the text is too long it is cut, keeping a closing special
   *  token (end of text) in the last slot, as CLIP-style encoders expect. */
  encode(text: string): number[] {
    const { maxTokens, padTokenId } = this.spec;
    const ids = this.tokenizer.encode(text).ids;
    if (ids.length > maxTokens) {
      const last = ids[ids.length - 1];
      const cut = ids.slice(0, maxTokens);
      if (this.isSpecial(last)) cut[maxTokens - 1] = last;
      return cut;
    }
    return ids.concat(new Array<number>(maxTokens - ids.length).fill(padTokenId));
  }

  /** Ids for the user's prompt with the pack's positive suffix. */
  encodePrompt(prompt: string): number[] {
    return this.encode(joinPrompt(prompt, this.spec.positiveSuffix));
  }

  encodeNegative(): number[] {
    return this.encode(this.spec.negativePrompt);
  }

  private isSpecial(id: number): boolean {
    return this.tokenizer.get_added_tokens_decoder().get(id)?.special ?? false;
  }
}

/** "prompt" + suffix; the suffix alone when the prompt is empty (its leading separator dropped). */
export function joinPrompt(prompt: string, suffix: string): string {
  const trimmed = prompt.trim();
  if (!trimmed) return suffix.replace(/^[\s,;]+/, '');
  return trimmed + suffix;
}

export async function loadPromptTokenizer(file: string, spec: TextSpec, packLabel: string): Promise<PromptTokenizer> {
  let json: unknown;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    throw new PackError('TOKENIZER', `Pack ${packLabel}: cannot read the tokenizer ${file} (${(error as Error).message}). Re-import the pack.`);
  }
  let tokenizer: Tokenizer;
  try {
    // The second argument is tokenizer_config.json's content; nothing in it is needed for encoding.
    tokenizer = new Tokenizer(json as object, {});
  } catch (error) {
    throw new PackError(
      'TOKENIZER',
      `Pack ${packLabel}: ${file} is not a tokenizer.json in Hugging Face format (${(error as Error).message}). Re-export the pack.`,
    );
  }
  const padding = tokenizer.id_to_token(spec.padTokenId);
  if (padding === undefined) {
    throw new PackError('TOKENIZER', `Pack ${packLabel}: text.padTokenId ${spec.padTokenId} is not in the tokenizer's vocabulary. Fix the manifest.`);
  }
  return new PromptTokenizer(tokenizer, spec);
}
