"""Tiny random LTX-Video, Wan and SkyReels-V2 pipelines, built in code, saved as diffusers folders.

The configs follow diffusers' own fast tests (``get_dummy_components``); the T5 tokenizer is
built in code from a `tokenizers` Unigram model, so nothing is downloaded. Folders are written
with ``save_pretrained`` (safetensors) and loaded by the engine exactly as a user's model is.
"""

from __future__ import annotations

from pathlib import Path

WORDS = (
    "a the wide close medium shot dusk dawn night rain woman man walks runs left right camera "
    "pans tilts dolly street harbour ferry noir neon red blue green"
).split()


def make_tokenizer(max_length: int = 32):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
    from transformers import T5TokenizerFast

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    vocab += [(f"\u2581{w}", -1.0) for w in WORDS]
    vocab += [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    tok = Tokenizer(models.Unigram(vocab, unk_id=2, byte_fallback=False))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    return T5TokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        extra_ids=0,
        model_max_length=max_length,
    )


def _text_encoder():  # type: ignore[no-untyped-def]
    import torch
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    cfg = T5Config(
        vocab_size=96,
        d_model=32,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
    )
    return T5EncoderModel(cfg)


def build_ltx(path: Path) -> Path:
    """A tiny LTXConditionPipeline (VAE: 4x spatial, 4x temporal, 8 latent channels)."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=2,
        caption_channels=32,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    pipe = LTXConditionPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=_text_encoder(),
        tokenizer=make_tokenizer(),
    )
    pipe.save_pretrained(str(path), safe_serialization=True)
    return path


def _wan_vae():  # type: ignore[no-untyped-def]
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )


def _wan_transformer_kwargs() -> dict:
    return dict(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )


def build_wan(path: Path, kind: str) -> Path:
    """A tiny Wan pipeline: kind "t2v" (WanPipeline), "ti2v" (Wan 2.2 5B-like WanPipeline),
    "vace" (WanVACEPipeline) or "flf2v" (WanImageToVideoPipeline whose transformer takes a
    first and a last image)."""
    import torch
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanPipeline,
        WanTransformer3DModel,
        WanVACEPipeline,
        WanVACETransformer3DModel,
    )

    common = dict(
        tokenizer=make_tokenizer(),
        text_encoder=_text_encoder(),
        vae=_wan_vae(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
    )
    torch.manual_seed(0)
    if kind == "t2v":
        tr = WanTransformer3DModel(in_channels=16, num_layers=2, **_wan_transformer_kwargs())
        pipe = WanPipeline(transformer=tr, **common)
    elif kind == "vace":
        tr = WanVACETransformer3DModel(
            in_channels=16,
            num_layers=3,
            vace_layers=[0, 2],
            vace_in_channels=96,
            **_wan_transformer_kwargs(),
        )
        pipe = WanVACEPipeline(transformer=tr, **common)
    elif kind == "ti2v":
        # Wan 2.2 TI2V-5B's shape: 48-channel latents, a 16x VAE (patch 2), expand_timesteps.
        from diffusers import AutoencoderKLWan

        torch.manual_seed(0)
        common["vae"] = AutoencoderKLWan(
            base_dim=3,
            z_dim=48,
            in_channels=12,
            out_channels=12,
            is_residual=True,
            patch_size=2,
            latents_mean=[0.0] * 48,
            latents_std=[1.0] * 48,
            dim_mult=[1, 1, 1, 1],
            num_res_blocks=1,
            scale_factor_spatial=16,
            scale_factor_temporal=4,
            temperal_downsample=[False, True, True],
        )
        kwargs = {**_wan_transformer_kwargs(), "out_channels": 48}
        torch.manual_seed(0)
        tr = WanTransformer3DModel(in_channels=48, num_layers=2, **kwargs)
        pipe = WanPipeline(transformer=tr, expand_timesteps=True, **common)
    elif kind == "flf2v":
        from transformers import (
            CLIPImageProcessor,
            CLIPVisionConfig,
            CLIPVisionModelWithProjection,
        )

        # CLIP: 16 px, patch 4 -> 17 tokens per image; FLF2V embeds two images (34 positions).
        tr = WanTransformer3DModel(
            in_channels=36,
            num_layers=2,
            image_dim=4,
            pos_embed_seq_len=34,
            **_wan_transformer_kwargs(),
        )
        torch.manual_seed(0)
        encoder = CLIPVisionModelWithProjection(
            CLIPVisionConfig(
                hidden_size=4,
                projection_dim=4,
                num_hidden_layers=2,
                num_attention_heads=2,
                image_size=16,
                intermediate_size=16,
                patch_size=4,
            )
        )
        pipe = WanImageToVideoPipeline(
            transformer=tr,
            image_encoder=encoder,
            image_processor=CLIPImageProcessor(crop_size=16, size=16),
            **common,
        )
    else:
        raise ValueError(kind)
    pipe.save_pretrained(str(path), safe_serialization=True)
    return path


def build_skyreels(path: Path) -> Path:
    """A tiny SkyReels-V2 diffusion-forcing pipeline (`SkyReelsV2DiffusionForcingPipeline`): the
    tiny Wan VAE and T5 of `build_wan`, a per-frame-timestep SkyReels transformer, and UniPC with
    flow sigmas (shift 8, as the DF checkpoints ship)."""
    import torch
    from diffusers import (
        SkyReelsV2DiffusionForcingPipeline,
        SkyReelsV2Transformer3DModel,
        UniPCMultistepScheduler,
    )

    torch.manual_seed(0)
    transformer = SkyReelsV2Transformer3DModel(
        in_channels=16,
        num_layers=2,
        inject_sample_info=True,  # the fps embedding (the DF checkpoints take fps 16 or 24)
        **_wan_transformer_kwargs(),
    )
    pipe = SkyReelsV2DiffusionForcingPipeline(
        transformer=transformer,
        vae=_wan_vae(),
        scheduler=UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=8.0
        ),
        text_encoder=_text_encoder(),
        tokenizer=make_tokenizer(),
    )
    pipe.save_pretrained(str(path), safe_serialization=True)
    return path


def build_ltx_upsampler(path: Path) -> Path:
    """A tiny spatial latent upsampler (`LTXLatentUpsamplerModel`, 2x in space) for the tiny
    LTX's 8-channel latents, saved where a model folder keeps it (``latent_upsampler/``)."""
    import torch
    from diffusers.pipelines.ltx.modeling_latent_upsampler import LTXLatentUpsamplerModel

    torch.manual_seed(0)
    model = LTXLatentUpsamplerModel(
        in_channels=8, mid_channels=32, num_blocks_per_stage=1, dims=3, spatial_upsample=True
    )
    model.save_pretrained(str(path), safe_serialization=True)
    return path
