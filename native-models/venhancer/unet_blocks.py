"""Building blocks of the VEnhancer denoiser (3D UNet + video ControlNet), written for ONNX export.

Layout convention: spatial layers see activations as [(b f), c, h, w]; temporal layers regroup them as
[b, c, f, h, w] with `batch` (b) passed in. Every reshape takes its sizes from the tensors themselves or uses -1,
so a traced graph stays dynamic in F, h and w.

Attribute names and registration order are those of the released checkpoint (including the misspelt
`temopral_conv`), so `load_state_dict(strict=True)` works without renaming. Modules that have no parameters but
hold an index in a checkpoint name (dropouts) are kept as nn.Identity.

Half precision: norms and the attention softmax run in float32 and cast back, as torch.cuda.amp.autocast does for
the reference's float16 inference; in float32 and float64 they run in the input dtype.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def _fk(device, dtype) -> dict:
    return {"device": device, "dtype": dtype}


class GroupNorm32(nn.GroupNorm):
    """GroupNorm that computes in float32 when fed float16 (autocast semantics: fp16 statistics overflow)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.float16:
            w = None if self.weight is None else self.weight.float()
            b = None if self.bias is None else self.bias.float()
            return F.group_norm(x.float(), self.num_groups, w, b, self.eps).to(x.dtype)
        return super().forward(x)


class LayerNorm32(nn.LayerNorm):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.float16:
            w = None if self.weight is None else self.weight.float()
            b = None if self.bias is None else self.bias.float()
            return F.layer_norm(x.float(), self.normalized_shape, w, b, self.eps).to(x.dtype)
        return super().forward(x)


def timestep_sinusoid(t: torch.Tensor, dim: int) -> torch.Tensor:
    """[cos, sin] embedding of integer timesteps, always in float32 as the reference computes it.
    freq_i = 10000^(-i/half); the caller casts the result to the model's dtype."""
    half = dim // 2
    t = t.float()
    freqs = torch.pow(10000, -torch.arange(half, device=t.device).to(t).div(half))
    args = t.unsqueeze(1) * freqs.unsqueeze(0)
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    if dim % 2:
        emb = torch.cat([emb, torch.zeros_like(emb[:, :1])], dim=1)
    return emb


def frames_to_video(x: torch.Tensor, batch) -> torch.Tensor:
    """[(b f), c, h, w] -> [b, c, f, h, w]"""
    return x.reshape(batch, -1, x.shape[1], x.shape[2], x.shape[3]).transpose(1, 2)


def video_to_frames(x: torch.Tensor) -> torch.Tensor:
    """[b, c, f, h, w] -> [(b f), c, h, w]"""
    return x.transpose(1, 2).reshape(-1, x.shape[1], x.shape[3], x.shape[4])


class Attention(nn.Module):
    """Multi-head attention, softmax(q k^T / sqrt(d)) v, heads split as channel = head * head_dim + j.
    Queries of shape [B, n, query_dim]; context (keys/values) [B, m, context_dim], defaulting to the queries."""

    def __init__(self, query_dim: int, context_dim: int | None, heads: int, head_dim: int, *, device=None, dtype=None):
        super().__init__()
        fk = _fk(device, dtype)
        inner = heads * head_dim
        context_dim = query_dim if context_dim is None else context_dim
        self.heads = heads
        self.head_dim = head_dim
        self.scale = head_dim ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False, **fk)
        self.to_k = nn.Linear(context_dim, inner, bias=False, **fk)
        self.to_v = nn.Linear(context_dim, inner, bias=False, **fk)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim, **fk), nn.Identity())

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], x.shape[1], self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        ctx = x if context is None else context
        # Scaling q first equals scaling the scores exactly when head_dim is a power of 4 (16, 64: the scale is a
        # power of two) and keeps float16 scores smaller.
        q = self._split(self.to_q(x) * self.scale)
        k = self._split(self.to_k(ctx))
        v = self._split(self.to_v(ctx))
        scores = torch.matmul(q, k.transpose(-1, -2))
        if scores.dtype == torch.float16:
            probs = torch.softmax(scores.float(), dim=-1).to(torch.float16)
        else:
            probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).transpose(1, 2)
        out = out.reshape(out.shape[0], out.shape[1], self.heads * self.head_dim)
        return self.to_out(out)


class GEGLU(nn.Module):
    def __init__(self, dim_in: int, dim_out: int, *, device=None, dtype=None):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2, device=device, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        value, gate = self.proj(x).chunk(2, dim=-1)
        return value * F.gelu(gate)  # exact (erf) GELU, as the reference


class FeedForward(nn.Module):
    def __init__(self, dim: int, mult: int = 4, *, device=None, dtype=None):
        super().__init__()
        inner = dim * mult
        self.net = nn.Sequential(
            GEGLU(dim, inner, device=device, dtype=dtype),
            nn.Identity(),  # dropout slot: keeps `net.2` as in the checkpoint
            nn.Linear(inner, dim, device=device, dtype=dtype),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    """Self-attention, cross-attention (self-attention again when context_dim is None), GEGLU feed-forward."""

    def __init__(self, dim: int, heads: int, head_dim: int, context_dim: int | None, *, device=None, dtype=None):
        super().__init__()
        fk = _fk(device, dtype)
        self.attn1 = Attention(dim, None, heads, head_dim, **fk)
        self.ff = FeedForward(dim, **fk)
        self.attn2 = Attention(dim, context_dim, heads, head_dim, **fk)
        self.norm1 = LayerNorm32(dim, **fk)
        self.norm2 = LayerNorm32(dim, **fk)
        self.norm3 = LayerNorm32(dim, **fk)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        x = self.attn1(self.norm1(x)) + x
        if context is None:
            x = self.attn2(self.norm2(x)) + x
        else:
            # The context is per video, [b, m, c]; the reference repeats it per frame. Attention rows are
            # independent, so the queries of all frames of one video attend to it in one batch row instead.
            shape = x.shape
            x = x.reshape(context.shape[0], -1, shape[-1])
            x = (self.attn2(self.norm2(x), context) + x).reshape(shape)
        return self.ff(self.norm3(x)) + x


class SpatialTransformer(nn.Module):
    """Per-frame transformer over the h*w tokens (linear projections), cross-attending to the text context."""

    def __init__(self, channels: int, heads: int, head_dim: int, context_dim: int, *, device=None, dtype=None):
        super().__init__()
        fk = _fk(device, dtype)
        inner = heads * head_dim
        if inner != channels:
            # The reference builds proj_out as Linear(channels, inner): it only runs when both are equal.
            raise ValueError(f"SpatialTransformer needs channels ({channels}) == heads*head_dim ({inner})")
        self.norm = GroupNorm32(32, channels, eps=1e-6, **fk)
        self.proj_in = nn.Linear(channels, inner, **fk)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(inner, heads, head_dim, context_dim, **fk)])
        self.proj_out = nn.Linear(channels, inner, **fk)

    def forward(self, x: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        tokens = self.norm(x).flatten(2).transpose(1, 2)  # [(b f), h*w, c]
        tokens = self.proj_in(tokens)
        for block in self.transformer_blocks:
            tokens = block(tokens, context)
        tokens = self.proj_out(tokens)
        return tokens.transpose(1, 2).reshape(x.shape) + x


class TemporalTransformer(nn.Module):
    """Transformer over the frames of each pixel (both attentions are self-attention; no positional term).
    The group norm spans all frames of a video. The projections are 1x1 Conv1d in the checkpoint; they are
    applied as linear maps on the token layout, which is the same arithmetic."""

    def __init__(self, channels: int, heads: int, head_dim: int, *, device=None, dtype=None):
        super().__init__()
        fk = _fk(device, dtype)
        inner = heads * head_dim
        self.norm = GroupNorm32(32, channels, eps=1e-6, **fk)
        self.proj_in = nn.Conv1d(channels, inner, kernel_size=1, **fk)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(inner, heads, head_dim, None, **fk)])
        self.proj_out = nn.Conv1d(inner, channels, kernel_size=1, **fk)

    def forward(self, x: torch.Tensor, batch) -> torch.Tensor:
        video = frames_to_video(x, batch)  # [b, c, f, h, w]
        b, c, f, h, w = video.shape
        tokens = self.norm(video).permute(0, 3, 4, 2, 1).reshape(-1, f, c)  # [(b h w), f, c]
        tokens = F.linear(tokens, self.proj_in.weight.squeeze(-1), self.proj_in.bias)
        for block in self.transformer_blocks:
            tokens = block(tokens)
        tokens = F.linear(tokens, self.proj_out.weight.squeeze(-1), self.proj_out.bias)
        out = tokens.reshape(b, h, w, f, c).permute(0, 3, 4, 1, 2)  # [b, f, c, h, w]
        return out.reshape(x.shape) + x


def _temporal_stage(channels: int, with_dropout_slot: bool, fk: dict) -> nn.Sequential:
    layers = [GroupNorm32(32, channels, **fk), nn.SiLU()]
    if with_dropout_slot:
        layers.append(nn.Identity())
    layers.append(nn.Conv3d(channels, channels, (3, 1, 1), padding=(1, 0, 0), **fk))
    return nn.Sequential(*layers)


class TemporalConvBlock(nn.Module):
    """Four [GroupNorm, SiLU, Conv3d (3,1,1), zero-padded in time] stages on [b, c, f, h, w], plus the input."""

    def __init__(self, channels: int, *, device=None, dtype=None):
        super().__init__()
        fk = _fk(device, dtype)
        self.conv1 = _temporal_stage(channels, False, fk)
        self.conv2 = _temporal_stage(channels, True, fk)
        self.conv3 = _temporal_stage(channels, True, fk)
        self.conv4 = _temporal_stage(channels, True, fk)

    def forward(self, x: torch.Tensor, batch) -> torch.Tensor:
        video = frames_to_video(x, batch)
        out = self.conv4(self.conv3(self.conv2(self.conv1(video))))
        return video_to_frames(video + out)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-Conv, plus the projected time embedding, GroupNorm-SiLU-Conv, skip; then the temporal conv."""

    def __init__(self, channels: int, emb_channels: int, out_channels: int | None = None, *, device=None, dtype=None):
        super().__init__()
        fk = _fk(device, dtype)
        out_channels = out_channels or channels
        self.in_layers = nn.Sequential(
            GroupNorm32(32, channels, **fk), nn.SiLU(), nn.Conv2d(channels, out_channels, 3, padding=1, **fk)
        )
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_channels, out_channels, **fk))
        self.out_layers = nn.Sequential(
            GroupNorm32(32, out_channels, **fk),
            nn.SiLU(),
            nn.Identity(),  # dropout slot
            nn.Conv2d(out_channels, out_channels, 3, padding=1, **fk),
        )
        self.skip_connection = (
            nn.Identity() if out_channels == channels else nn.Conv2d(channels, out_channels, 1, **fk)
        )
        self.temopral_conv = TemporalConvBlock(out_channels, **fk)  # sic: the checkpoint's name

    def forward(self, x: torch.Tensor, emb: torch.Tensor, batch) -> torch.Tensor:
        h = self.in_layers(x)
        h = h + self.emb_layers(emb).to(h.dtype).unsqueeze(-1).unsqueeze(-1)
        h = self.out_layers(h)
        h = self.skip_connection(x) + h
        return self.temopral_conv(h, batch)


class Downsample(nn.Module):
    """3x3 stride-2 conv padded 2 rows / 1 column: H -> floor((H+1)/2)+1, W -> floor((W-1)/2)+1."""

    def __init__(self, channels: int, *, device=None, dtype=None):
        super().__init__()
        self.op = nn.Conv2d(channels, channels, 3, stride=2, padding=(2, 1), device=device, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class Upsample(nn.Module):
    """Nearest x2, first and last rows dropped (H -> 2H-2, W -> 2W), then a 3x3 conv: undoes Downsample's shape."""

    def __init__(self, channels: int, *, device=None, dtype=None):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1, device=device, dtype=dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.conv(x[:, :, 1:-1, :])


def run_block(module: nn.Module, x: torch.Tensor, emb: torch.Tensor, context: torch.Tensor, batch) -> torch.Tensor:
    """Apply one entry of input_blocks / middle_block / output_blocks with the arguments its kind takes."""
    if isinstance(module, nn.ModuleList):
        for child in module:
            x = run_block(child, x, emb, context, batch)
        return x
    if isinstance(module, ResBlock):
        return module(x, emb, batch)
    if isinstance(module, SpatialTransformer):
        return module(x, context)
    if isinstance(module, TemporalTransformer):
        return module(x, batch)
    return module(x)
