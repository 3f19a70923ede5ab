
### {{ title }} (`{{ name }}`, 2–8 players)

Field 800 × 500 px, origin top-left, y down. Settings: `score_limit` (integer 1–100, default 5),
`time_limit_s` (integer seconds 1–3600, default 60).

Input `d`: `{"mx": -1…1, "my": -1…1, "tx": 0…800, "ty": 0…500}`; a missing `mx`/`my` is 0,
numbers are clamped. `tx`, `ty` (a clicked point, sent once) send the disc there until a held
direction takes over. Discs move 240 px/s.

| entity id | fields |
|---|---|
| `p<member id>` | `x`, `y`, `s` (score), `n` (name) |
| `star` | `x`, `y` |

Globals: `t`, `sl`. Events: `star` {`id`, `s`}. Reasons: `score_limit`, `time_up`, `forfeit`.
