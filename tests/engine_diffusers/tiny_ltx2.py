"""A tiny random LTX-2 (audio-video) pipeline, built in code and saved as a diffusers folder.

The configs follow diffusers' own LTX-2 fast tests (``tests/pipelines/ltx2/testing_utils.py``):
a 2-block audio-video transformer, a tiny video VAE (2x spatial, 2x temporal), a tiny audio VAE
and vocoder (16 kHz), text connectors, and a Gemma-3 text encoder with the smallest config
transformers accepts. The Gemma tokenizer is built in code from a `tokenizers` model, so
nothing is downloaded.
"""

from __future__ import annotations

from pathlib import Path

from tests.engine_diffusers.tiny_models import WORDS

AUDIO_RATE = 16000


def make_gemma_tokenizer(max_length: int = 32):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import GemmaTokenizerFast

    vocab = [("<pad>", 0.0), ("<eos>", 0.0), ("<bos>", 0.0), ("<unk>", 0.0)]
    vocab += [(f"\u2581{w}", -1.0) for w in WORDS]
    vocab += [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz0123456789:\"'.,"]
    tok = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    return GemmaTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="<eos>",
        bos_token="<bos>",
        unk_token="<unk>",
        model_max_length=max_length,
    )


def _gemma3():  # type: ignore[no-untyped-def]
    import torch
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    torch.manual_seed(0)
    cfg = Gemma3Config(
        text_config=dict(
            vocab_size=128,
            hidden_size=32,
            intermediate_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            num_key_value_heads=1,
            head_dim=8,
            max_position_embeddings=64,
            sliding_window=16,
            layer_types=["sliding_attention", "full_attention"],
        ),
        vision_config=dict(
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=28,
            patch_size=14,
        ),
        mm_tokens_per_image=4,
        boi_token_index=120,
        eoi_token_index=121,
        image_token_index=122,
    )
    return Gemma3ForConditionalGeneration(cfg)


# the tiny LTX-2 transformer (two blocks: the step cache and offload paths need more than one);
# caption_channels is the tiny text encoder's width. benchmarks/engine_gpu.py times it too.
TRANSFORMER: dict = dict(
    in_channels=4,
    out_channels=4,
    patch_size=1,
    patch_size_t=1,
    num_attention_heads=2,
    attention_head_dim=8,
    cross_attention_dim=16,
    audio_in_channels=4,
    audio_out_channels=4,
    audio_num_attention_heads=2,
    audio_attention_head_dim=4,
    audio_cross_attention_dim=8,
    num_layers=2,
    qk_norm="rms_norm_across_heads",
    caption_channels=32,
    rope_double_precision=False,
    rope_type="split",
)


def build_ltx2(path: Path) -> Path:
    """A tiny LTX2Pipeline folder (video VAE 2x spatial / 2x temporal, 4 latent channels;
    audio at 16 kHz)."""
    import torch
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    text_encoder = _gemma3()
    hidden = text_encoder.config.text_config.hidden_size
    layers = text_encoder.config.text_config.num_hidden_layers
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(**dict(TRANSFORMER, caption_channels=hidden))
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=hidden,
        text_proj_in_factor=layers + 1,
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
        rope_type="split",
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8,),
        decoder_block_out_channels=(8,),
        layers_per_block=(1,),
        decoder_layers_per_block=(1, 1),
        spatio_temporal_scaling=(True,),
        decoder_spatio_temporal_scaling=(True,),
        decoder_inject_noise=(False, False),
        downsample_type=("spatial",),
        upsample_residual=(False,),
        upsample_factor=(1,),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=AUDIO_RATE,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=audio_vae.config.output_channels * audio_vae.config.mel_bins,
        hidden_channels=32,
        out_channels=2,
        # 10 x 16 = the audio VAE's mel hop (160): one mel frame -> 160 samples, as in the model
        upsample_kernel_sizes=[20, 32],
        upsample_factors=[10, 16],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=AUDIO_RATE,
    )
    pipe = LTX2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        audio_vae=audio_vae,
        text_encoder=text_encoder,
        tokenizer=make_gemma_tokenizer(),
        connectors=connectors,
        transformer=transformer,
        vocoder=vocoder,
    )
    path = Path(path)
    pipe.save_pretrained(str(path), safe_serialization=True)
    return path


def add_latent_upsampler(path: Path) -> Path:
    """Put a tiny random LTX-2 spatial latent upsampler (x2, the tiny VAE's 4 latent channels)
    in the model folder's ``latent_upsampler/``, as Lightricks/LTX-2 ships it."""
    import torch
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    torch.manual_seed(0)
    model = LTX2LatentUpsamplerModel(
        in_channels=4,
        mid_channels=32,  # its GroupNorms have 32 groups
        num_blocks_per_stage=1,
        dims=3,
        spatial_upsample=True,
        temporal_upsample=False,
        rational_spatial_scale=2.0,
    )
    target = Path(path) / "latent_upsampler"
    model.save_pretrained(str(target), safe_serialization=True)
    return target


def make_lora(model: Path, target: Path, *, seed: int, rank: int = 4, std: float = 0.5) -> Path:
    """A random LoRA for the tiny LTX-2 transformer in `model`, saved at `target` the way
    Lightricks ships theirs (ComfyUI keys: ``diffusion_model.transformer_blocks.0.attn1.to_q
    .lora_A.weight``, which diffusers' `LTX2LoraLoaderMixin` converts). It adapts the video
    self-attention's projections; its lora_B is non-zero, so it changes what the model makes."""
    import re

    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    weights = Path(model) / "transformer" / "diffusion_pytorch_model.safetensors"
    wanted = re.compile(r"^transformer_blocks\.\d+\.attn1\.(to_q|to_k|to_v|to_out\.0)\.weight$")
    gen = torch.Generator().manual_seed(seed)
    tensors: dict[str, torch.Tensor] = {}
    with safe_open(str(weights), framework="pt") as f:
        for key in f.keys():
            if not wanted.match(key):
                continue
            out_features, in_features = f.get_slice(key).get_shape()
            stem = "diffusion_model." + key.removesuffix(".weight")
            a = torch.randn(rank, in_features, generator=gen) * std
            b = torch.randn(out_features, rank, generator=gen) * std
            tensors[f"{stem}.lora_A.weight"] = a
            tensors[f"{stem}.lora_B.weight"] = b
    if not tensors:
        raise ValueError(f"no attention projections found in {weights}")
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(target))
    return target
