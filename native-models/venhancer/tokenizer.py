"""OpenCLIP's BPE tokenizer (open_clip 2.20.0 SimpleTokenizer, bpe_simple_vocab_16e6) as a Hugging Face tokenizer.json.

The ids equal open_clip's: 256 byte-level characters, the same 256 with the end-of-word suffix `</w>`, one token
per merge (in merge order), then `<start_of_text>` 49406 and `<end_of_text>` 49407.

What open_clip does to the text, and the tokenizer.json part that does the same:
- ftfy.fix_text (NFC normalisation for the text it leaves alone)  -> NFC normalizer
- html.unescape twice                                               -> Replace normalizers for &amp; &lt; &gt;
  &quot; &#39; (the entities a prompt realistically holds; other entities pass through unchanged)
- whitespace collapsed, lower-cased                                 -> Replace(\\s+, " "), Lowercase
- its word regex (whitespace between matches dropped)               -> Split(pattern, invert) keeps the matches
- bytes -> printable characters, BPE with `</w>` on the last one     -> ByteLevel(use_regex false), BPE model
- start/end tokens                                                  -> TemplateProcessing
Padding to 77 (id 0) and truncation keeping the end token in the last slot are the engine's
(main/engine/pack/text.ts, manifest text.maxTokens / padTokenId), so the file sets neither.
"""
from __future__ import annotations

import argparse
import gzip
import json

START, END = "<start_of_text>", "<end_of_text>"
# open_clip's regex (it also lists its two special strings first; here added tokens take that role).
WORD_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
# open_clip: merges = lines[1 : 49152 - 256 - 2 + 1]
MERGE_COUNT = 49152 - 256 - 2


def byte_characters() -> list[str]:
    """The 256 printable stand-ins for bytes 0..255, in open_clip's (and GPT-2's) vocabulary order."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    order, chars, extra = list(printable), [chr(b) for b in printable], 0
    for b in range(256):
        if b not in printable:
            order.append(b)
            chars.append(chr(256 + extra))
            extra += 1
    return chars  # in vocabulary order (the printable bytes first)


def read_merges(vocab_gz: str) -> list[str]:
    with gzip.open(vocab_gz, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    merges = lines[1:1 + MERGE_COUNT]
    if len(merges) != MERGE_COUNT or any(len(m.split()) != 2 for m in merges):
        raise ValueError(f"{vocab_gz} is not bpe_simple_vocab_16e6 ({len(merges)} merges read, {MERGE_COUNT} expected)")
    return merges


def build_vocab(merges: list[str]) -> dict[str, int]:
    chars = byte_characters()
    tokens = chars + [c + "</w>" for c in chars] + ["".join(m.split()) for m in merges] + [START, END]
    vocab = {token: i for i, token in enumerate(tokens)}
    if len(vocab) != len(tokens):
        raise ValueError("duplicate tokens in the BPE vocabulary")
    return vocab


def _entity(literal: str, content: str) -> dict:
    return {"type": "Replace", "pattern": {"String": literal}, "content": content}


def _html_unescape_once() -> list[dict]:
    # &amp; last, so that "&amp;lt;" becomes "&lt;" in one pass, as html.unescape does.
    return [_entity("&lt;", "<"), _entity("&gt;", ">"), _entity("&quot;", '"'), _entity("&#39;", "'"),
            _entity("&amp;", "&")]


def tokenizer_json(vocab_gz: str) -> dict:
    merges = read_merges(vocab_gz)
    vocab = build_vocab(merges)

    def added(token: str) -> dict:
        return {"id": vocab[token], "content": token, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True}

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [added(START), added(END)],
        "normalizer": {
            "type": "Sequence",
            "normalizers": [{"type": "NFC"}, *_html_unescape_once(), *_html_unescape_once(),
                            {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "}, {"type": "Lowercase"}],
        },
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": WORD_PATTERN}, "behavior": "Removed", "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ],
        },
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": START, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": END, "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": START, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": END, "type_id": 0}}],
            "special_tokens": {
                START: {"id": START, "ids": [vocab[START]], "tokens": [START]},
                END: {"id": END, "ids": [vocab[END]], "tokens": [END]},
            },
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": "</w>",
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": vocab,
            "merges": merges,
        },
    }


def write_tokenizer_json(vocab_gz: str, out_path: str) -> str:
    data = tokenizer_json(vocab_gz)
    with open(out_path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    return out_path


def main(argv=None):
    parser = argparse.ArgumentParser(description="Write open_clip's BPE tokenizer as a Hugging Face tokenizer.json")
    parser.add_argument("vocab_gz", help="bpe_simple_vocab_16e6.txt.gz")
    parser.add_argument("out", help="tokenizer.json to write")
    args = parser.parse_args(argv)
    write_tokenizer_json(args.vocab_gz, args.out)
    print(args.out)


if __name__ == "__main__":
    main()
