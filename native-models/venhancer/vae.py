"""The SVD temporal VAE (diffusers 0.30.0 AutoencoderKLTemporalDecoder) as VEnhancer uses it.

Parameter names and shapes equal the diffusers state dict (stabilityai/stable-video-diffusion-img2vid `vae/`), so
that checkpoint loads strictly. The encoder is 2-D (each image independent); the decoder mixes frames of one
video through temporal convolutions, temporal GroupNorm statistics and a final temporal convolution, so the
frames it decodes together change the result: `decode(z, num_frames)` treats z's B*F rows as B videos.
"""
from __future__ import annotations

import math

import torch
from torch import nn
import torch.nn.functional as F

# diffusers AutoencoderKLTemporalDecoder defaults = the SVD checkpoint's config.
SVD_VAE = {
    "in_channels": 3,
    "out_channels": 3,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "latent_channels": 4,
    "scaling_factor": 0.18215,
}
GROUPS = 32
EPS = 1e-6
TEMPORAL_EPS = 1e-5
LOGVAR_RANGE = (-30.0, 20.0)


def _conv3x3(cin, cout, factory, stride=1, padding=1):
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=padding, **factory)


def _temporal_conv(cin, cout, factory):
    return nn.Conv3d(cin, cout, (3, 1, 1), padding=(1, 0, 0), **factory)


def to_video(x: torch.Tensor, num_videos: int) -> torch.Tensor:
    """[B*F, C, H, W] -> [B, C, F, H, W] (frame f of video b is row b*F + f)."""
    return x.reshape(num_videos, -1, x.shape[1], x.shape[2], x.shape[3]).permute(0, 2, 1, 3, 4)


def from_video(x: torch.Tensor) -> torch.Tensor:
    """[B, C, F, H, W] -> [B*F, C, H, W]."""
    x = x.permute(0, 2, 1, 3, 4)
    return x.reshape(-1, x.shape[2], x.shape[3], x.shape[4])


class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, factory):
        super().__init__()
        self.norm1 = nn.GroupNorm(GROUPS, cin, eps=EPS, **factory)
        self.conv1 = _conv3x3(cin, cout, factory)
        self.norm2 = nn.GroupNorm(GROUPS, cout, eps=EPS, **factory)
        self.conv2 = _conv3x3(cout, cout, factory)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1, **factory) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        shortcut = x if self.conv_shortcut is None else self.conv_shortcut(x)
        return shortcut + h


class SpatialSelfAttention(nn.Module):
    """One-head self-attention over the H*W positions of each image, with GroupNorm in front and a residual."""

    def __init__(self, channels, factory, upcast_softmax: bool):
        super().__init__()
        self.upcast_softmax = upcast_softmax
        self.scale = 1.0 / math.sqrt(channels)
        self.group_norm = nn.GroupNorm(GROUPS, channels, eps=EPS, **factory)
        self.to_q = nn.Linear(channels, channels, **factory)
        self.to_k = nn.Linear(channels, channels, **factory)
        self.to_v = nn.Linear(channels, channels, **factory)
        self.to_out = nn.ModuleList([nn.Linear(channels, channels, **factory), nn.Dropout(0.0)])

    def forward(self, x):
        n, c, h, w = x.shape
        tokens = self.group_norm(x).reshape(n, c, h * w).transpose(1, 2)  # [N, HW, C]
        q, k, v = self.to_q(tokens), self.to_k(tokens), self.to_v(tokens)
        scores = torch.matmul(q, k.transpose(1, 2)) * self.scale
        if self.upcast_softmax and scores.dtype == torch.float16:
            # diffusers' encoder attention upcasts the softmax to float32 (matters in half precision only)
            weights = scores.float().softmax(dim=-1).to(scores.dtype)
        else:
            weights = scores.softmax(dim=-1)
        out = self.to_out[0](torch.matmul(weights, v))
        return out.transpose(1, 2).reshape(n, c, h, w) + x


class Downsample(nn.Module):
    """Zero pad right and bottom by one, then a stride-2 3x3 conv without padding."""

    def __init__(self, channels, factory):
        super().__init__()
        self.conv = _conv3x3(channels, channels, factory, stride=2, padding=0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, channels, factory):
        super().__init__()
        self.conv = _conv3x3(channels, channels, factory)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class DownEncoderBlock(nn.Module):
    def __init__(self, cin, cout, layers, downsample, factory):
        super().__init__()
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, factory) for i in range(layers)])
        self.downsamplers = nn.ModuleList([Downsample(cout, factory)]) if downsample else None

    def forward(self, x):
        for resnet in self.resnets:
            x = resnet(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
        return x


class EncoderMidBlock(nn.Module):
    def __init__(self, channels, factory):
        super().__init__()
        self.attentions = nn.ModuleList([SpatialSelfAttention(channels, factory, upcast_softmax=True)])
        self.resnets = nn.ModuleList([ResnetBlock2D(channels, channels, factory) for _ in range(2)])

    def forward(self, x):
        return self.resnets[1](self.attentions[0](self.resnets[0](x)))


class Encoder(nn.Module):
    def __init__(self, in_channels, latent_channels, block_out_channels, layers_per_block, factory):
        super().__init__()
        self.conv_in = _conv3x3(in_channels, block_out_channels[0], factory)
        blocks, prev = [], block_out_channels[0]
        for i, ch in enumerate(block_out_channels):
            blocks.append(DownEncoderBlock(prev, ch, layers_per_block, i < len(block_out_channels) - 1, factory))
            prev = ch
        self.down_blocks = nn.ModuleList(blocks)
        self.mid_block = EncoderMidBlock(prev, factory)
        self.conv_norm_out = nn.GroupNorm(GROUPS, prev, eps=EPS, **factory)
        self.conv_out = _conv3x3(prev, 2 * latent_channels, factory)

    def forward(self, x):
        x = self.conv_in(x)
        for block in self.down_blocks:
            x = block(x)
        x = self.mid_block(x)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class TemporalResnetBlock(nn.Module):
    """Residual block of (3,1,1) convolutions over [B, C, F, H, W]; its GroupNorm statistics span all F frames."""

    def __init__(self, channels, factory):
        super().__init__()
        self.norm1 = nn.GroupNorm(GROUPS, channels, eps=TEMPORAL_EPS, **factory)
        self.conv1 = _temporal_conv(channels, channels, factory)
        self.norm2 = nn.GroupNorm(GROUPS, channels, eps=TEMPORAL_EPS, **factory)
        self.conv2 = _temporal_conv(channels, channels, factory)

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return x + h


class LearnedTimeMixer(nn.Module):
    """Blend of the spatial and temporal branches with a learned weight: (1 - sigmoid(m)) spatial + sigmoid(m)
    temporal (diffusers AlphaBlender, strategy "learned", switch_spatial_to_temporal_mix=True)."""

    def __init__(self, factory):
        super().__init__()
        self.mix_factor = nn.Parameter(torch.zeros(1, **factory))

    def forward(self, spatial, temporal):
        spatial_weight = (1.0 - torch.sigmoid(self.mix_factor)).to(spatial.dtype)
        return spatial_weight * spatial + (1.0 - spatial_weight) * temporal


class SpatioTemporalResBlock(nn.Module):
    def __init__(self, cin, cout, factory):
        super().__init__()
        self.spatial_res_block = ResnetBlock2D(cin, cout, factory)
        self.temporal_res_block = TemporalResnetBlock(cout, factory)
        self.time_mixer = LearnedTimeMixer(factory)

    def forward(self, x, num_videos: int):
        spatial = to_video(self.spatial_res_block(x), num_videos)
        return from_video(self.time_mixer(spatial, self.temporal_res_block(spatial)))


class DecoderMidBlock(nn.Module):
    def __init__(self, channels, layers, factory):
        super().__init__()
        self.resnets = nn.ModuleList([SpatioTemporalResBlock(channels, channels, factory) for _ in range(layers)])
        # diffusers builds exactly one attention; it runs between resnets[0] and resnets[1] (never if layers == 1).
        self.attentions = nn.ModuleList([SpatialSelfAttention(channels, factory, upcast_softmax=False)])

    def forward(self, x, num_videos: int):
        x = self.resnets[0](x, num_videos)
        for resnet, attention in zip(self.resnets[1:], self.attentions):
            x = resnet(attention(x), num_videos)
        return x


class UpBlockTemporalDecoder(nn.Module):
    def __init__(self, cin, cout, layers, upsample, factory):
        super().__init__()
        self.resnets = nn.ModuleList(
            [SpatioTemporalResBlock(cin if i == 0 else cout, cout, factory) for i in range(layers)]
        )
        self.upsamplers = nn.ModuleList([Upsample(cout, factory)]) if upsample else None

    def forward(self, x, num_videos: int):
        for resnet in self.resnets:
            x = resnet(x, num_videos)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class TemporalDecoder(nn.Module):
    def __init__(self, latent_channels, out_channels, block_out_channels, layers_per_block, factory):
        super().__init__()
        reversed_channels = list(reversed(block_out_channels))
        self.conv_in = _conv3x3(latent_channels, reversed_channels[0], factory)
        self.mid_block = DecoderMidBlock(reversed_channels[0], layers_per_block, factory)
        blocks, prev = [], reversed_channels[0]
        for i, ch in enumerate(reversed_channels):
            blocks.append(UpBlockTemporalDecoder(prev, ch, layers_per_block + 1, i < len(reversed_channels) - 1, factory))
            prev = ch
        self.up_blocks = nn.ModuleList(blocks)
        self.conv_norm_out = nn.GroupNorm(GROUPS, block_out_channels[0], eps=EPS, **factory)
        self.conv_out = _conv3x3(block_out_channels[0], out_channels, factory)
        self.time_conv_out = _temporal_conv(out_channels, out_channels, factory)

    def forward(self, z, num_videos: int):
        x = self.mid_block(self.conv_in(z), num_videos)
        for block in self.up_blocks:
            x = block(x, num_videos)
        x = self.conv_out(F.silu(self.conv_norm_out(x)))
        return from_video(self.time_conv_out(to_video(x, num_videos)))


class TemporalVae(nn.Module):
    def __init__(self, *, in_channels=3, out_channels=3, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
                 latent_channels=4, scaling_factor=0.18215, device=None, dtype=None):
        super().__init__()
        for ch in block_out_channels:
            if ch % GROUPS:
                raise ValueError(f"block_out_channels must be multiples of {GROUPS} (GroupNorm groups): {ch}")
        factory = {"device": device, "dtype": dtype}
        self.latent_channels = latent_channels
        self.scaling_factor = scaling_factor
        self.downscale = 2 ** (len(block_out_channels) - 1)
        self.encoder = Encoder(in_channels, latent_channels, list(block_out_channels), layers_per_block, factory)
        self.decoder = TemporalDecoder(latent_channels, out_channels, list(block_out_channels), layers_per_block,
                                       factory)
        self.quant_conv = nn.Conv2d(2 * latent_channels, 2 * latent_channels, 1, **factory)

    def encode_moments(self, images: torch.Tensor) -> torch.Tensor:
        """images [N, 3, H, W] in [-1, 1] -> [N, 2*latent, H/8, W/8]: the posterior mean, then the log-variance
        clamped to [-30, 20]. Each image is encoded independently."""
        moments = self.quant_conv(self.encoder(images))
        mean, logvar = moments.split(self.latent_channels, dim=1)
        return torch.cat([mean, logvar.clamp(*LOGVAR_RANGE)], dim=1)

    def decode(self, z: torch.Tensor, num_frames: int) -> torch.Tensor:
        """z [B*F, latent, h, w] (already divided by the scaling factor) -> images [B*F, 3, 8h, 8w]: rows b*F..b*F+F-1
        are the F frames of video b, decoded together."""
        if num_frames < 1 or z.shape[0] % num_frames:
            raise ValueError(f"decode: {z.shape[0]} latents are not a whole number of {num_frames}-frame videos")
        return self.decoder(z, z.shape[0] // num_frames)


def _vae_kwargs(config: dict | None) -> dict:
    config = SVD_VAE if config is None else config
    down = config.get("down_block_types")
    if down is not None and any(t != "DownEncoderBlock2D" for t in down):
        raise ValueError(f"unsupported down_block_types {down}")
    if down is not None and len(down) != len(config["block_out_channels"]):
        raise ValueError("down_block_types and block_out_channels differ in length")
    return {
        "in_channels": int(config.get("in_channels", 3)),
        "out_channels": int(config.get("out_channels", 3)),
        "block_out_channels": [int(c) for c in config["block_out_channels"]],
        "layers_per_block": int(config.get("layers_per_block", 2)),
        "latent_channels": int(config.get("latent_channels", 4)),
        "scaling_factor": float(config.get("scaling_factor", 0.18215)),
    }


def build_vae(config: dict | None = None, *, device=None, dtype=None) -> TemporalVae:
    """None: the full-size SVD VAE. Otherwise a diffusers-style config dict (the fixture's config_json)."""
    return TemporalVae(**_vae_kwargs(config), device=device, dtype=dtype).eval()


class VaeEncoderOnnx(nn.Module):
    """Graph contract: `image` [N, 3, H, W] -> `moments` [N, 8, H/8, W/8] (log-variance clamped)."""

    def __init__(self, vae: TemporalVae):
        super().__init__()
        self.vae = vae

    def forward(self, image):
        return self.vae.encode_moments(image)


class VaeDecoderOnnx(nn.Module):
    """Graph contract: `latent` [N, 4, h, w], the N consecutive frames of ONE video -> `image` [N, 3, 8h, 8w]."""

    def __init__(self, vae: TemporalVae):
        super().__init__()
        self.vae = vae

    def forward(self, latent):
        return self.vae.decoder(latent, 1)


def export_vae_encoder_onnx(vae: TemporalVae, path: str, *, fp16: bool = False, external_data: bool = True) -> dict:
    from .onnx_export import export_onnx

    side = 2 * vae.downscale
    image = torch.zeros(2, 3, side, side + vae.downscale)
    return export_onnx(
        VaeEncoderOnnx(vae), (image,), path, input_names=["image"], output_names=["moments"],
        dynamic_axes={"image": {0: "N", 2: "H", 3: "W"}, "moments": {0: "N", 2: "h", 3: "w"}},
        fp16=fp16, external_data=external_data,
    )


def export_vae_decoder_onnx(vae: TemporalVae, path: str, *, fp16: bool = False, external_data: bool = True) -> dict:
    from .onnx_export import export_onnx

    latent = torch.zeros(3, vae.latent_channels, 2, 3)
    return export_onnx(
        VaeDecoderOnnx(vae), (latent,), path, input_names=["latent"], output_names=["image"],
        dynamic_axes={"latent": {0: "N", 2: "h", 3: "w"}, "image": {0: "N", 2: "H", 3: "W"}},
        fp16=fp16, external_data=external_data,
    )
