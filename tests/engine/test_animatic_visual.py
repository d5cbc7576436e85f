"""The animatic shows the shot grammar on screen: each property is measured on rendered frames
with OpenCV (optical flow, blobs, luma, lines), the way a viewer would notice it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.engine.engine_testutil import (
    blobs,
    contrast,
    dominant_line_angle,
    global_shift,
    grey,
    horizon_row,
    luma,
    mad,
    mean_flow,
    render,
    subject_area,
    subject_bbox_area,
    subject_centroid,
)

# ---------------------------------------------------------------------------------------------
# camera moves


@pytest.mark.parametrize("move", ["dolly in", "push in", "zoom in"])
def test_moving_in_grows_the_subject(move: str) -> None:
    f = render(f"full shot, a man stands, {move}", 24)
    first, last = subject_bbox_area(f[0]), subject_bbox_area(f[-1])
    assert last > 1.08 * first, (first, last)
    areas = [subject_area(x) for x in f[::4]]
    assert areas == sorted(areas), "the subject should grow steadily"


@pytest.mark.parametrize("move", ["dolly out", "pull back", "zoom out"])
def test_moving_out_shrinks_the_subject(move: str) -> None:
    f = render(f"full shot, a man stands, {move}", 24)
    assert subject_bbox_area(f[-1]) < 0.93 * subject_bbox_area(f[0])


def test_dolly_and_zoom_differ_in_perspective() -> None:
    """A dolly moves the camera (the background barely grows), a zoom magnifies everything."""
    dolly = render("full shot, a man stands, dolly in", 24)
    zoom = render("full shot, a man stands, zoom in", 24)
    sky = np.s_[:40]  # far hills and clouds at the top of the frame
    dolly_bg = mad(dolly[0][sky], dolly[-1][sky])
    zoom_bg = mad(zoom[0][sky], zoom[-1][sky])
    assert zoom_bg > 1.5 * dolly_bg, (zoom_bg, dolly_bg)


@pytest.mark.parametrize(
    ("move", "sign_dx", "sign_dy"),
    [
        ("pan left", +1, 0),  # the scene slides right
        ("pan right", -1, 0),
        ("tilt up", 0, +1),  # the scene slides down
        ("tilt down", 0, -1),
        ("truck left", +1, 0),
        ("truck right", -1, 0),
        ("crane up", 0, +1),
        ("pedestal down", 0, -1),
    ],
)
def test_camera_moves_move_the_scene(move: str, sign_dx: int, sign_dy: int) -> None:
    f = render(f"wide shot, a man stands, {move}", 8)
    dx, dy = mean_flow(f[2], f[3])
    for sign, value, other in ((sign_dx, dx, dy), (sign_dy, dy, dx)):
        if sign:
            assert sign * value > 0.3, (move, dx, dy)
            assert abs(other) < abs(value) / 3, (move, dx, dy)


def test_slow_and_fast_scale_the_move() -> None:
    speeds = [
        mean_flow(*render(f"wide shot, a man, {m} pan left", 2))[0] for m in ("slow", "", "fast")
    ]
    assert 0 < speeds[0] < speeds[1] < speeds[2]
    assert speeds[2] > 3 * speeds[0]


@pytest.mark.parametrize(("direction", "sign"), [("right", +1), ("left", -1)])
def test_orbit_keeps_the_subject_and_swings_the_background(direction: str, sign: int) -> None:
    f = render(f"full shot, a man stands, orbit {direction}", 12)
    (x0, y0), (x1, y1) = subject_centroid(f[0]), subject_centroid(f[-1])
    assert abs(x1 - x0) < 2 and abs(y1 - y0) < 2  # the subject stays framed
    top = np.zeros(f[0].shape[:2], bool)
    top[:50] = True  # the far background: hills and sky
    dx = sum(mean_flow(f[i], f[i + 1], top)[0] for i in range(11))
    assert sign * dx > 5.0, dx


def test_static_camera_has_no_motion_and_handheld_jitters() -> None:
    # no one in frame: a standing figure breathes and shifts its weight (actions.py)
    static = render("wide shot of an empty street, static", 12)
    assert all(mad(static[0], f) == 0 for f in static[1:])
    hand = render("wide shot, a man stands, handheld", 12)
    shifts = [global_shift(hand[i], hand[i + 1]) for i in range(11)]
    mags = [np.hypot(*s) for s in shifts]
    assert np.mean(mags) > 0.4, mags
    # jitter, not a steady move: the direction changes
    signs = [np.sign(s[0]) for s in shifts if abs(s[0]) > 0.1]
    assert 0 < signs.count(1) < len(signs)


def test_handheld_is_seeded() -> None:
    a = render("wide shot, a man stands, handheld", 6, seed=1)
    b = render("wide shot, a man stands, handheld", 6, seed=2)
    assert np.array_equal(a, render("wide shot, a man stands, handheld", 6, seed=1))
    assert mad(a[5], b[5]) > 0


# ---------------------------------------------------------------------------------------------
# framing, angle, lens


def test_shot_size_ladder_fills_more_of_the_frame() -> None:
    sizes = [
        "extreme wide shot",
        "wide shot",
        "full shot",
        "medium shot",
        "medium close-up",
        "close-up",
        "extreme close-up",
    ]
    areas = [subject_area(render(f"{s}, a man", 1)[0]) for s in sizes]
    assert areas == sorted(areas), dict(zip(sizes, areas, strict=True))
    # (an extreme close-up is a face filling the frame; its eyes, brows and mouth are not in
    # the saturated-colour mask, hence 0.4 rather than the whole frame)
    assert areas[0] < 0.005 and areas[-1] > 0.4
    assert areas[5] > 3 * areas[2]  # a close-up vs a full shot


def test_focal_length_sets_the_field_of_view() -> None:
    areas = [subject_area(render(f"medium shot, a man, {mm}mm", 1)[0]) for mm in (18, 35, 85)]
    assert areas[0] < areas[1] < areas[2]
    assert areas[2] > 2 * areas[1]


@pytest.mark.parametrize(("words", "count"), [("a man", 1), ("two men", 2), ("three people", 3)])
def test_counted_figures_are_separate_blobs(words: str, count: int) -> None:
    frame = render(f"full shot, {words} stand", 1)[0]
    assert len(blobs(frame)) == count


def test_figures_have_distinct_colours() -> None:
    frame = render("full shot, three people stand", 1)[0]
    hsv = cv2.cvtColor(frame, cv2.COLOR_RGB2HSV)
    hues = []
    for b in blobs(frame):
        x, y, w, h = b["bbox"]
        hues.append(
            int(np.median(hsv[y : y + h, x : x + w, 0][hsv[y : y + h, x : x + w, 1] > 110]))
        )
    assert len(set(hues)) == 3
    assert min(abs(a - b) for i, a in enumerate(hues) for b in hues[i + 1 :]) > 10


def test_angle_moves_the_horizon() -> None:
    rows = {
        a: horizon_row(render(f"wide shot, a man, {a}", 1)[0])
        for a in ("low angle", "eye level", "high angle")
    }
    assert rows["low angle"] > rows["eye level"] + 10  # the horizon sits lower
    assert rows["high angle"] < rows["eye level"] - 10
    assert abs(rows["eye level"] - 72) < 8  # eye level: the horizon near the middle


def test_overhead_sees_only_ground() -> None:
    frame = render("overhead shot, two people stand", 1)[0]
    top, bottom = frame[:20].reshape(-1, 3).mean(0), frame[-20:].reshape(-1, 3).mean(0)
    assert np.abs(top - bottom).max() < 6  # no sky anywhere
    assert len(blobs(frame)) == 2


def test_dutch_angle_tilts_the_horizon() -> None:
    level = dominant_line_angle(render("wide shot, a man", 1)[0])
    dutch = dominant_line_angle(render("wide shot, a man, dutch angle", 1)[0])
    slight = dominant_line_angle(render("wide shot, a man, slight dutch tilt", 1)[0])
    assert abs(level) < 1.5
    assert 12 < abs(dutch) < 18
    assert 5 < abs(slight) < 11


def test_over_the_shoulder_puts_a_dark_shoulder_in_the_foreground() -> None:
    frame = render("over the shoulder, a man and a woman talk", 1)[0]
    found = blobs(frame)
    assert len(found) >= 2
    fg = max(found, key=lambda b: b["area"])
    x, y, w, h = fg["bbox"]
    assert x == 0 and h > 0.8 * frame.shape[0]  # big, cut by the left edge
    other = [b for b in found if b is not fg][0]
    fg_v = luma(frame[y : y + h, x : x + w][None][0])
    assert other["centroid"][0] > fg["centroid"][0]
    assert fg_v < luma(frame)  # in shadow


def test_insert_frames_a_prop_and_pov_shows_no_one() -> None:
    insert = render("insert shot of a letter on a table", 1)[0]
    b = blobs(insert)
    assert len(b) == 1 and abs(b[0]["centroid"][0] - 128) < 20 and b[0]["area"] > 0.05 * 256 * 144
    assert blobs(render("POV down the street", 1)[0]) == []


def test_sitting_figure_is_shorter_than_standing() -> None:
    stand = blobs(render("full shot, a man stands", 1)[0])[0]["bbox"][3]
    sit = blobs(render("full shot, a man sits", 1)[0])[0]["bbox"][3]
    assert sit < 0.9 * stand


# ---------------------------------------------------------------------------------------------
# light, place and weather


def test_night_is_darker_than_day() -> None:
    day = luma(render("wide shot, a man, day", 1)[0])
    night = luma(render("wide shot, a man, night", 1)[0])
    assert night < 0.5 * day


@pytest.mark.parametrize("warm", ["dusk", "golden hour", "sunset"])
def test_dusk_is_warmer_than_day(warm: str) -> None:
    d = render(f"wide shot, a man, {warm}", 1)[0].reshape(-1, 3).mean(0)
    day = render("wide shot, a man, day", 1)[0].reshape(-1, 3).mean(0)
    assert d[0] - d[2] > 20  # red over blue
    assert d[0] - d[2] > day[0] - day[2] + 20


def test_dawn_is_warm_but_lighter_than_dusk() -> None:
    dawn = render("wide shot, a man, dawn", 1)[0]
    dusk = render("wide shot, a man, dusk", 1)[0]
    m = dawn.reshape(-1, 3).mean(0)
    assert m[0] > m[2]
    assert luma(dawn) > luma(dusk)


def test_interior_has_walls_not_sky() -> None:
    ext = render("EXT. FIELD - DAY, a man", 1)[0][:20].reshape(-1, 3).mean(0)
    inn = render("INT. ROOM - DAY, a man", 1)[0][:20].reshape(-1, 3).mean(0)
    assert ext[2] > ext[0]  # blue sky at the top
    assert inn[0] > inn[2]  # a warm wall at the top


def _vertical_edges(frame: np.ndarray) -> float:
    g = grey(frame).astype(np.float32)
    return float(np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3)).mean())


@pytest.mark.parametrize("time", ["day", "night"])
def test_rain_adds_streaks(time: str) -> None:
    clear = render(f"wide shot, a man, {time}", 2)
    rain = render(f"wide shot, a man, {time}, rain", 2)
    assert _vertical_edges(rain[0]) > 1.2 * _vertical_edges(clear[0])
    assert mad(rain[0], rain[1]) > mad(clear[0], clear[1])  # and it falls


def test_snow_adds_falling_flakes() -> None:
    def flakes(frame: np.ndarray) -> int:
        bright = (grey(frame) > 225).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(bright)
        return int((stats[1:, cv2.CC_STAT_AREA] < 40).sum())

    clear = render("wide shot, a man", 2)
    snow = render("wide shot, a man, snow", 2)
    assert flakes(clear[0]) < 3
    assert flakes(snow[0]) > 15
    assert mad(snow[0], snow[1]) > 0


def test_fog_lowers_contrast() -> None:
    clear = contrast(render("wide shot, a man", 1)[0])
    fog = contrast(render("wide shot, a man, fog", 1)[0])
    assert fog < 0.75 * clear


# ---------------------------------------------------------------------------------------------
# subjects and action


@pytest.mark.parametrize(
    ("verb", "sign"), [("walks left", -1), ("walks right", +1), ("runs left", -1)]
)
def test_walking_moves_the_figure(verb: str, sign: int) -> None:
    f = render(f"full shot, a woman {verb}", 12)
    x0, x1 = subject_centroid(f[0])[0], subject_centroid(f[-1])[0]
    assert sign * (x1 - x0) > 10


def test_running_is_faster_than_walking() -> None:
    walk = render("full shot, a woman walks left", 12)
    run = render("full shot, a woman runs left", 12)
    d_walk = subject_centroid(walk[0])[0] - subject_centroid(walk[-1])[0]
    d_run = subject_centroid(run[0])[0] - subject_centroid(run[-1])[0]
    assert d_run > 1.8 * d_walk > 0


def test_walking_toward_and_away_changes_size() -> None:
    toward = render("full shot, a woman walks toward camera", 12)
    away = render("full shot, a woman walks away from camera", 12)
    assert subject_area(toward[-1]) > 1.15 * subject_area(toward[0])
    assert subject_area(away[-1]) < 0.87 * subject_area(away[0])


def test_standing_figure_stays_put() -> None:
    f = render("full shot, a woman stands", 12)
    assert subject_centroid(f[0]) == pytest.approx(subject_centroid(f[-1]), abs=0.5)


def test_labels_are_drawn_above_their_figures() -> None:
    plain = render("full shot, two men stand", 1)[0]
    labelled = render("full shot, two men stand", 1, labels=("Captain", "Mate"))[0]
    diff = np.abs(plain.astype(int) - labelled.astype(int)).sum(axis=2) > 30
    assert diff.any()
    for b in blobs(plain):
        x, y, w, h = b["bbox"]
        above = diff[max(0, y - 25) : y + 5, max(0, x - 20) : x + w + 20]
        assert above.sum() > 20, "each figure gets its label over its head"
    # a labelled figure is a named character whose look is seeded from its name, so its colours
    # may change; it still stands where the unlabelled one stood
    by_x = lambda f: sorted(blobs(f), key=lambda b: b["centroid"][0])  # noqa: E731
    for a, b in zip(by_x(plain), by_x(labelled), strict=True):
        assert abs(a["centroid"][0] - b["centroid"][0]) < 3
    # "@Name" in the prompt labels a figure too
    at = render("full shot, @Captain stands", 1)[0]
    assert len(blobs(at)) == 1 and mad(at, render("full shot, a man stands", 1)[0]) > 0


def test_overlay_text_is_burned_in_the_corner() -> None:
    plain = render("wide shot, a man", 2)
    slate = render("wide shot, a man", 2, overlay_text="12A/0010 T3")
    diff = np.abs(plain.astype(int) - slate.astype(int)).sum(axis=3) > 0
    ys, xs = np.nonzero(diff[0])
    assert len(ys) > 300
    assert ys.max() < 0.2 * 144 and xs.min() < 20  # the top-left corner only
    other = render("wide shot, a man", 2, overlay_text="99Z/9990 T1")
    assert mad(slate[0][:20, :120], other[0][:20, :120]) > 1  # the text itself shows


# ---------------------------------------------------------------------------------------------
# determinism


def test_same_prompt_and_seed_give_identical_frames() -> None:
    p = "wide shot, three people walk left, rain, handheld, pan right, dusk"
    assert np.array_equal(render(p, 6, seed=7), render(p, 6, seed=7))


def test_a_different_seed_gives_different_frames() -> None:
    p = "wide shot, three people walk left, rain"
    a, b = render(p, 3, seed=1), render(p, 3, seed=2)
    assert mad(a[0], b[0]) > 1.0
    # and without weather or shake, the set layout still differs
    assert (
        mad(render("wide shot, a man", 1, seed=1)[0], render("wide shot, a man", 1, seed=2)[0]) > 1
    )


def _sharpness(frame: np.ndarray, region: np.ndarray) -> float:
    lap = cv2.Laplacian(grey(frame).astype(np.float32), cv2.CV_32F)
    return float(lap[region > 0].var())


def test_close_ups_get_a_shallow_depth_of_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a close-up the set behind the subject goes soft and the subject stays sharp; the same
    shot with depth of field switched off is the reference (same framing, same frame)."""
    from engine.backends.animatic import render as rmod

    prompt = "close-up, a woman in a red raincoat on a city street, dusk, static"
    soft = render(prompt, 1, width=320, height=180)[0]
    monkeypatch.setattr(rmod, "SHALLOW_FOCUS", {})
    sharp = render(prompt, 1, width=320, height=180)[0]
    h, w = sharp.shape[:2]
    sides = np.zeros((h, w), np.uint8)  # the set beside her (she stands in the middle)
    sides[: int(0.6 * h), : w // 5] = sides[: int(0.6 * h), w - w // 5 :] = 1
    face = np.zeros((h, w), np.uint8)
    face[int(0.2 * h) : int(0.55 * h), int(0.42 * w) : int(0.58 * w)] = 1
    assert _sharpness(sharp, sides) > 20  # there is detail (windows) in the set behind her
    assert _sharpness(soft, sides) < 0.5 * _sharpness(sharp, sides)
    assert _sharpness(soft, face) > 0.9 * _sharpness(sharp, face)  # she stays sharp
    # a wide shot keeps everything in focus
    wide = "wide shot, a woman in a red raincoat on a city street, dusk, static"
    a = render(wide, 1, width=320, height=180)[0]
    monkeypatch.undo()
    assert np.array_equal(a, render(wide, 1, width=320, height=180)[0])
