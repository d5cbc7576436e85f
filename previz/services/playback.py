"""The player's frame source: frame-accurate decoding of takes and sequences with PyAV.

A take's frames are an ordered list of segments (file + frame range); a sequence plays the
selected take of each shot with its trims applied. :class:`Playlist` maps a playback frame to
(shot, take frame, file, file frame); :class:`FrameSource` decodes that file frame.

Decoding is frame-accurate: each file's packets are indexed once (presentation timestamps in
order, keyframes), so frame ``i`` is the ``i``-th presentation timestamp. A jump seeks to the
nearest keyframe at or before the frame and decodes forward (at most a GOP: 12 frames for our
clips), caching every frame decoded on the way in a small LRU, so stepping back within a GOP
and sequential playback cost one decode per frame. No Qt here (the UI wraps the arrays), and
PyAV/numpy are imported inside the functions that need them.

A playlist also knows its takes' sound (``PlayItem.audio``): :func:`write_playlist_sound` lays
it out as one WAV exactly as long as the playlist, each item's sound from its take frames at
the item's place, so the player's audio output plays it in step with the picture (the same
reading and resampling code as the reel's sound, ``previz.export.audio``).
"""

from __future__ import annotations

import bisect
import logging
from collections import OrderedDict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from previz.core.errors import NotFound, PrevizError
from previz.core.values import AudioSegmentInfo, ShotInfo
from previz.services.project import ProjectService

log = logging.getLogger(__name__)

DEFAULT_CACHE_BYTES = 192 * 2**20
MAX_OPEN_FILES = 8
HELD_FRAMES = 24  # decoded (YUV) frames kept per open clip: two GOPs of our clips
SOUND_RATE = 48000  # the player's sound mix (the reel's rate)


class PlaybackError(PrevizError):
    """A clip cannot be decoded (missing or damaged file)."""


@dataclass(frozen=True)
class ClipRef:
    path: Path  # absolute
    start: int  # first file frame used
    end: int  # exclusive

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class PlayItem:
    """One shot (or one take) laid on the playback timeline."""

    shot_id: int | None
    label: str
    take_id: int | None
    take_number: int | None
    start: int  # first playback frame of this item
    length: int  # frames it plays
    take_offset: int  # take frame shown at the item's first frame (the trim in)
    clips: tuple[ClipRef, ...]  # the take's segments, in order (empty: no take yet)
    audio: tuple[AudioSegmentInfo, ...] = ()  # the take's sound, in order (): silent
    take_fps: Fraction | None = None  # the take's rate (its sound's frames are at this rate)

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def has_sound(self) -> bool:
        return any(not a.silent for a in self.audio)

    def take_frame(self, frame: int) -> int:
        """Take frame shown at playback ``frame`` (which must lie in this item)."""
        return self.take_offset + (frame - self.start)

    def file_frame(self, take_frame: int) -> tuple[Path, int] | None:
        """The file and file frame holding ``take_frame``, or None when it has no media."""
        offset = 0
        for clip in self.clips:
            if take_frame < offset + clip.frames:
                return clip.path, clip.start + (take_frame - offset)
            offset += clip.frames
        return None


@dataclass(frozen=True)
class Playlist:
    items: tuple[PlayItem, ...]
    fps: Fraction
    width: int
    height: int
    drop_frame: bool = False

    @property
    def total_frames(self) -> int:
        return self.items[-1].end if self.items else 0

    def locate(self, frame: int) -> tuple[PlayItem, int] | None:
        """(item, take frame) shown at playback ``frame``; None outside the playlist."""
        if not self.items or not 0 <= frame < self.total_frames:
            return None
        starts = [it.start for it in self.items]
        i = bisect.bisect_right(starts, frame) - 1
        item = self.items[i]
        return item, item.take_frame(frame)

    def item_for_shot(self, shot_id: int) -> PlayItem | None:
        for it in self.items:
            if it.shot_id == shot_id:
                return it
        return None

    @property
    def has_sound(self) -> bool:
        return any(it.has_sound for it in self.items)

    def sound_key(self) -> tuple[Any, ...]:
        """What the sound mix depends on: equal keys give the same WAV."""
        return (self.fps, self.total_frames) + tuple(
            (it.start, it.length, it.take_offset, it.take_fps, it.audio)
            for it in self.items
            if it.has_sound
        )

    def seconds(self, frame: int) -> float:
        """Where playback ``frame`` starts in the sound mix, in seconds."""
        return float(Fraction(frame) / self.fps)

    # --- builders -----------------------------------------------------------------------------

    @classmethod
    def for_take(cls, svc: ProjectService, take_id: int, label: str = "") -> Playlist:
        """A take on its own, all its frames (trims are shown by the player, not applied)."""
        take = svc.take_by_id(take_id)
        clips = _clips(svc, take.segments)
        item = PlayItem(
            take.shot_id,
            label,
            take.id,
            take.number,
            0,
            take.frame_count,
            0,
            clips,
            take.audio,
            take.fps,
        )
        return cls((item,), take.fps, take.width, take.height)

    @classmethod
    def for_sequence(
        cls,
        svc: ProjectService,
        seq_id: int,
        *,
        takes: dict[int, Any] | None = None,
        shots: list[ShotInfo] | None = None,
    ) -> Playlist:
        """Every shot of a sequence in order: its selected take with the trims applied; a shot
        with no take plays its planned duration with no picture.

        ``takes`` caches (TakeInfo, clips) by take id, filled as takes are read: a take's frames
        never change, so a caller that keeps it across rebuilds reads each take once. ``shots``
        are the sequence's shots when the caller has just read them."""
        seq = svc.sequence(seq_id)
        cache: dict[int, Any] = {} if takes is None else takes
        items: list[PlayItem] = []
        start = 0
        for shot in svc.shots(seq.id) if shots is None else shots:
            clips: tuple[ClipRef, ...] = ()
            audio: tuple[AudioSegmentInfo, ...] = ()
            take_fps: Fraction | None = None
            take_id = shot.selected_take_id
            length = shot.duration_frames
            offset = 0
            if take_id is not None:
                found = cache.get(take_id)
                if found is None:
                    try:
                        take = svc.take_by_id(take_id)
                        found = cache[take_id] = (take, _clips(svc, take.segments))
                    except NotFound:
                        found = None
                if found is not None:
                    take, clips = found
                    audio, take_fps = take.audio, take.fps
                    offset = min(max(0, shot.trim_in), max(0, take.frame_count - 1))
                    out = take.frame_count if shot.trim_out is None else shot.trim_out
                    out = max(offset + 1, min(out, take.frame_count))
                    length = out - offset
            items.append(
                PlayItem(
                    shot.id,
                    shot.label,
                    take_id,
                    shot.selected_take_number,
                    start,
                    length,
                    offset,
                    clips,
                    audio,
                    take_fps,
                )
            )
            start += length
        return cls(tuple(items), seq.fps, seq.width, seq.height, seq.drop_frame)


def _clips(svc: ProjectService, segments: Any) -> tuple[ClipRef, ...]:
    from previz.store.folder import resolve

    out = []
    for seg in segments:
        try:
            path = resolve(svc.folder, seg.path)
        except PrevizError:
            path = svc.folder / "missing" / Path(seg.path).name
        out.append(ClipRef(path, seg.start, seg.end))
    return tuple(out)


def write_playlist_sound(
    folder: Path, playlist: Playlist, path: Path, rate: int = SOUND_RATE
) -> list[str]:
    """The playlist's sound as a 16-bit stereo WAV at ``path``, exactly as long as its frames:
    item ``k`` plays its take frames ``[take_offset, take_offset + length)``'s sound from its
    first playback frame (silence where a take has none). A sound file that cannot be read
    leaves its shot silent; the returned one-line warnings say which.

    ``folder``: the project folder the takes' sound paths are relative to."""
    from previz.export.audio import CHANNELS, SoundReader, WavWriter, frames_to_samples
    from previz.export.plan import AudioSegment, ExportError
    from previz.store.folder import resolve

    fps = Fraction(playlist.fps)
    total = frames_to_samples(playlist.total_frames, rate, fps)
    reader = SoundReader(rate)
    warnings: list[str] = []
    tmp = path.with_name(path.name + ".part")
    out = WavWriter(tmp, rate, CHANNELS, total)
    try:
        for item in playlist.items:
            if not item.has_sound:
                continue
            a = frames_to_samples(item.start, rate, fps)
            b = frames_to_samples(item.end, rate, fps)
            out.skip(a - out.written)
            try:
                segs = []
                for seg in item.audio:
                    where = None
                    if not seg.silent:
                        try:
                            where = resolve(folder, seg.path)
                        except PrevizError:
                            where = folder / "missing" / Path(seg.path).name
                    segs.append(AudioSegment(where, seg.start, seg.end, seg.rate))
                t_fps = Fraction(item.take_fps or fps)
                snd = reader.take(segs, t_fps, item.take_offset, item.take_offset + item.length)
            except ExportError as exc:
                warnings.append(f"{item.label}: {exc}")
                continue
            out.write(snd[:, : b - a])  # a take at another rate than the cut: keep its speed
        out.close()
        tmp.replace(path)
    except BaseException:
        out.close()
        tmp.unlink(missing_ok=True)
        raise
    return warnings


def cut_length(trim_in: int, trim_out: int | None, take_frames: int) -> int:
    """Frames a shot plays in its sequence given its trims and its take's length."""
    tin = min(max(0, trim_in), max(0, take_frames - 1))
    out = take_frames if trim_out is None else trim_out
    return max(1, min(out, take_frames) - tin)


class ClipDecoder:
    """One open video file: frame ``i`` by seeking to the keyframe before it and decoding on."""

    def __init__(self, path: Path, cache: FrameCache) -> None:
        import av

        self.path = Path(path)
        self.cache = cache
        try:
            self.container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError) as exc:
            raise PlaybackError(f"cannot open clip {self.path.name}: {exc}") from None
        if not self.container.streams.video:
            self.container.close()
            raise PlaybackError(f"{self.path.name} has no video stream")
        self.stream = self.container.streams.video[0]
        pts: list[int] = []
        keys: list[int] = []
        try:
            for packet in self.container.demux(self.stream):
                if packet.pts is None:
                    continue
                pts.append(int(packet.pts))
                if packet.is_keyframe:
                    keys.append(int(packet.pts))
        except av.error.FFmpegError as exc:
            self.container.close()
            raise PlaybackError(f"clip {self.path.name} is damaged: {exc}") from None
        self.pts = sorted(pts)
        self.key_pts = sorted(keys) or self.pts[:1]
        self.index_of = {p: i for i, p in enumerate(self.pts)}
        self._frames: Any = None  # the decode iterator, positioned at self._pos
        self._pos: int | None = None  # index of the next frame the iterator yields
        self._held: dict[int, Any] = {}  # decoded, not yet converted frames (index -> VideoFrame)
        self.seeks = 0  # for tests and benchmarks
        self.decoded = 0
        self.converted = 0

    @property
    def frame_count(self) -> int:
        return len(self.pts)

    def close(self) -> None:
        self._frames = None
        self._held.clear()
        try:
            self.container.close()
        except Exception:  # closing a damaged file must not break playback
            log.debug("closing %s failed", self.path, exc_info=True)

    def _keyframe_index(self, index: int) -> int:
        k = bisect.bisect_right(self.key_pts, self.pts[index]) - 1
        return self.index_of.get(self.key_pts[max(0, k)], 0)

    def frame(self, index: int) -> Any:
        """RGB uint8 array (H, W, 3) of frame ``index`` (0-based, presentation order)."""
        import av

        if not 0 <= index < len(self.pts):
            raise PlaybackError(
                f"frame {index} is outside {self.path.name} ({len(self.pts)} frames)"
            )
        key = (str(self.path), index)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        held = self._held.get(index)
        if held is not None:  # decoded on the way to another frame: only convert it
            return self._convert(key, held)
        kf = self._keyframe_index(index)
        if self._frames is None or self._pos is None or not (kf <= self._pos <= index):
            self.container.seek(
                self.key_pts[max(0, bisect.bisect_right(self.key_pts, self.pts[index]) - 1)],
                stream=self.stream,
                backward=True,
                any_frame=False,
            )
            self._frames = self.container.decode(self.stream)
            self._pos = None
            self.seeks += 1
        try:
            for vf in self._frames:
                i = self.index_of.get(vf.pts) if vf.pts is not None else None
                if i is None:
                    i = self._pos or 0
                self._pos = i + 1
                self.decoded += 1
                if i == index:
                    return self._convert(key, vf)
                # keep the decoded picture (YUV, half the size of RGB) in case it is asked for
                # next (stepping back within a GOP); convert only what is shown
                self._held[i] = vf
                while len(self._held) > HELD_FRAMES:
                    self._held.pop(next(iter(self._held)))
                if i > index:
                    break
        except av.error.FFmpegError as exc:
            self._frames = None
            raise PlaybackError(f"clip {self.path.name} cannot be decoded: {exc}") from None
        self._frames = None
        self._pos = None
        raise PlaybackError(f"frame {index} of {self.path.name} could not be decoded")

    def _convert(self, key: tuple[str, int], vf: Any) -> Any:
        rgb = vf.to_ndarray(format="rgb24")
        self.converted += 1
        self._held.pop(key[1], None)
        self.cache.put(key, rgb)
        return rgb


class FrameCache:
    """An LRU of decoded frames, bounded in bytes."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict[tuple[str, int], Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, int]) -> Any:
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self._data.move_to_end(key)
        self.hits += 1
        return value

    def put(self, key: tuple[str, int], value: Any) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self.bytes -= old.nbytes
        self._data[key] = value
        self.bytes += value.nbytes
        while self.bytes > self.max_bytes and len(self._data) > 1:
            _, dropped = self._data.popitem(last=False)
            self.bytes -= dropped.nbytes

    def clear(self) -> None:
        self._data.clear()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._data)


class FrameSource:
    """Decoded frames for playlists: a few open decoders plus the shared frame cache."""

    def __init__(self, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.cache = FrameCache(cache_bytes)
        self._decoders: OrderedDict[Path, ClipDecoder] = OrderedDict()
        self._broken: dict[Path, str] = {}

    def decoder(self, path: Path) -> ClipDecoder:
        dec = self._decoders.get(path)
        if dec is not None:
            self._decoders.move_to_end(path)
            return dec
        if path in self._broken:
            raise PlaybackError(self._broken[path])
        if not path.is_file():
            msg = f"the clip {path.name} is missing from the project folder"
            self._broken[path] = msg
            raise PlaybackError(msg)
        try:
            dec = ClipDecoder(path, self.cache)
        except PlaybackError as exc:
            self._broken[path] = str(exc)
            raise
        self._decoders[path] = dec
        while len(self._decoders) > MAX_OPEN_FILES:
            _, old = self._decoders.popitem(last=False)
            old.close()
        return dec

    def file_frame(self, path: Path, index: int) -> Any:
        return self.decoder(path).frame(index)

    def frame(self, playlist: Playlist, frame: int) -> Any:
        """RGB array shown at playback ``frame``; None for a shot with no take (or no media)."""
        found = playlist.locate(frame)
        if found is None:
            return None
        item, take_frame = found
        where = item.file_frame(take_frame)
        if where is None:
            return None
        return self.file_frame(*where)

    def forget_errors(self) -> None:
        self._broken.clear()

    def close(self) -> None:
        for dec in self._decoders.values():
            dec.close()
        self._decoders.clear()
        self.cache.clear()
