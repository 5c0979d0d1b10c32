"""OpenCLIP ViT-H/14 text tower as VEnhancer's FrozenOpenCLIPEmbedder runs it (layer="penultimate").

Parameter names and shapes equal open_clip 2.20.0's CLIP state dict without `visual.*`, so the released
open_clip_pytorch_model.bin (minus the vision tower) loads strictly. `text_projection` and `logit_scale` are
loaded but never used: the embedder returns the per-token hidden states, not the pooled projection.
"""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F

# open_clip model_configs/ViT-H-14.json, text_cfg and embed_dim.
VIT_H14_TEXT = {
    "embed_dim": 1024,
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 1024, "heads": 16, "layers": 24},
    "mlp_ratio": 4.0,
    "layernorm_eps": 1e-5,
}


class PackedSelfAttention(nn.Module):
    """Multi-head self-attention with nn.MultiheadAttention's parameter layout (packed q, k, v rows)."""

    def __init__(self, width: int, heads: int, factory: dict):
        super().__init__()
        if width % heads:
            raise ValueError(f"width {width} is not divisible by heads {heads}")
        self.heads = heads
        self.scale = 1.0 / math.sqrt(width // heads)
        self.in_proj_weight = nn.Parameter(torch.empty(3 * width, width, **factory))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * width, **factory))
        self.out_proj = nn.Linear(width, width, **factory)
        # nn.MultiheadAttention's initialisation (only matters for exports with random weights)
        nn.init.xavier_uniform_(self.in_proj_weight)
        nn.init.zeros_(self.in_proj_bias)

    def forward(self, x: torch.Tensor, additive_mask: torch.Tensor) -> torch.Tensor:
        batch, tokens, width = x.shape
        head_dim = width // self.heads
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        qkv = qkv.reshape(batch, tokens, 3, self.heads, head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, heads, T, head_dim]
        # Scale q before the product, as nn.MultiheadAttention does.
        scores = torch.matmul(q * self.scale, k.transpose(-1, -2)) + additive_mask
        out = torch.matmul(scores.softmax(dim=-1), v)
        out = out.permute(0, 2, 1, 3).reshape(batch, tokens, width)
        return self.out_proj(out)


class TextMlp(nn.Module):
    def __init__(self, width: int, hidden: int, factory: dict):
        super().__init__()
        self.c_fc = nn.Linear(width, hidden, **factory)
        self.gelu = nn.GELU()  # exact erf: ViT-H-14.json sets no quick_gelu
        self.c_proj = nn.Linear(hidden, width, **factory)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width: int, heads: int, mlp_ratio: float, eps: float, factory: dict):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, eps=eps, **factory)
        self.attn = PackedSelfAttention(width, heads, factory)
        self.ln_2 = nn.LayerNorm(width, eps=eps, **factory)
        self.mlp = TextMlp(width, int(width * mlp_ratio), factory)

    def forward(self, x, additive_mask):
        x = x + self.attn(self.ln_1(x), additive_mask)
        return x + self.mlp(self.ln_2(x))


class TextTransformer(nn.Module):
    def __init__(self, width, heads, layers, mlp_ratio, eps, factory):
        super().__init__()
        self.resblocks = nn.ModuleList(
            [ResidualAttentionBlock(width, heads, mlp_ratio, eps, factory) for _ in range(layers)]
        )


class OpenClipTextTower(nn.Module):
    """forward(tokens int64 [B, T]) -> ln_final(output of block L-2) [B, T, width]: the penultimate layer."""

    def __init__(self, *, width, heads, layers, vocab_size, context_length, embed_dim, mlp_ratio=4.0,
                 layernorm_eps=1e-5, device=None, dtype=None):
        super().__init__()
        if layers < 2:
            raise ValueError("the penultimate-layer output needs at least 2 layers")
        factory = {"device": device, "dtype": dtype}
        self.context_length = context_length
        self.positional_embedding = nn.Parameter(torch.empty(context_length, width, **factory))
        self.text_projection = nn.Parameter(torch.empty(width, embed_dim, **factory))
        self.logit_scale = nn.Parameter(torch.empty((), **factory))
        self.transformer = TextTransformer(width, heads, layers, mlp_ratio, layernorm_eps, factory)
        self.token_embedding = nn.Embedding(vocab_size, width, **factory)
        self.ln_final = nn.LayerNorm(width, eps=layernorm_eps, **factory)
        # Causal additive mask: token i sees tokens 0..i. There is no padding mask; pads follow the end token.
        mask = torch.full((context_length, context_length), float("-inf")).triu_(1)
        if device is not None and torch.device(device).type != "meta":
            mask = mask.to(device)
        self.register_buffer("attn_mask", mask.to(dtype or torch.get_default_dtype()), persistent=False)
        # Defined values for the parameters created with torch.empty (checkpoints overwrite them all).
        nn.init.normal_(self.positional_embedding, std=0.01)
        nn.init.normal_(self.text_projection, std=width ** -0.5)
        nn.init.constant_(self.logit_scale, math.log(1 / 0.07))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.token_embedding(tokens) + self.positional_embedding
        mask = self.attn_mask.to(x.dtype)
        blocks = self.transformer.resblocks
        for block in list(blocks)[: len(blocks) - 1]:
            x = block(x, mask)
        return self.ln_final(x)


def _text_kwargs(config: dict | None) -> dict:
    config = VIT_H14_TEXT if config is None else config
    text_cfg = config.get("text_cfg", config)
    return {
        "width": int(text_cfg["width"]),
        "heads": int(text_cfg["heads"]),
        "layers": int(text_cfg["layers"]),
        "vocab_size": int(text_cfg.get("vocab_size", 49408)),
        "context_length": int(text_cfg.get("context_length", 77)),
        "embed_dim": int(config.get("embed_dim", text_cfg["width"])),
        "mlp_ratio": float(config.get("mlp_ratio", text_cfg.get("mlp_ratio", 4.0))),
        "layernorm_eps": float(config.get("layernorm_eps", 1e-5)),
    }


def build_text_tower(config: dict | None = None, *, device=None, dtype=None) -> OpenClipTextTower:
    """None: the full ViT-H/14 text tower. Otherwise an open_clip-style config (the fixture's config_json)."""
    if config is not None and config.get("quick_gelu"):
        raise ValueError("quick_gelu text towers are not supported (ViT-H-14 uses exact GELU)")
    return OpenClipTextTower(**_text_kwargs(config), device=device, dtype=dtype).eval()


class TextEncoderOnnx(nn.Module):
    """Graph contract: input `input_ids` int64 [B, 77] -> output `hidden` [B, 77, width]."""

    def __init__(self, tower: OpenClipTextTower):
        super().__init__()
        self.tower = tower

    def forward(self, input_ids):
        return self.tower(input_ids)


def export_text_encoder_onnx(tower: OpenClipTextTower, path: str, *, fp16: bool = False,
                             external_data: bool = True) -> dict:
    from .onnx_export import export_onnx

    tokens = torch.zeros(1, tower.context_length, dtype=torch.int64)
    tokens[0, 0], tokens[0, 1] = 49406, 49407
    return export_onnx(
        TextEncoderOnnx(tower), (tokens,), path,
        input_names=["input_ids"], output_names=["hidden"],
        dynamic_axes={"input_ids": {0: "B"}, "hidden": {0: "B"}},
        fp16=fp16, external_data=external_data,
    )
