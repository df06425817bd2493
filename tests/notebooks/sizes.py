"""Reduced parameters per week for the notebook runs that do not need the lab's full size.

Used by the in-process solution-code runs (three seeds) and the untouched-lab run (every
check "Not attempted": nothing there depends on the size). nbval and the other-seed run keep
the stored parameters, so the lab as a learner runs it is still executed in full.
"""

#: Sizes small enough to keep the in-process runs fast, large enough for the lab's methods
#: (week 5 finds the incident's days from daily PSI, which needs the lab's daily volume).
SIZES = {
    "week01": {"n": 20_000},
    "week02": {"n": 20_000},
    "week03": {"n": 20_000},
    "week04": {"n": 20_000},
    "week05": {"n": 250_000, "n_big": 200_000},
    "week06": {"time_scale": 1 / 60},  # live service and replay: 20 s of traffic, not 40
    "week08": {"n": 30_000},  # the canary slices need ~300 rows per channel and night
    "week09": {"replay_s": 4.0},  # live service: 4 s of traffic instead of 8
    "week07": {"n": 16_000, "serve_ui": False},  # n is MIN_N; the UI start is skipped
    "week10": {"time_scale": 0.6, "use_prometheus": False},  # 7 s of traffic, rules on the log
}
