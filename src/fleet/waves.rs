//! The wave schedule: the canary first, then each wave up to its share of all targets.
//!
//! A wave's percentage is cumulative and counts every target, the canary included: with 60
//! targets, `canary = 1` and `waves = ["10%", "50%", "100%"]` run 1, then 5 more (up to 6,
//! 10% of 60), then 24 more (up to 30), then the last 30. A share that is not a whole number
//! of targets is rounded up, so a small wave still reaches at least one target; a wave that
//! the canary or the previous wave already covers is empty and left out.

use std::ops::Range;

/// Target indices, wave by wave; the canary, when there is one, is the first wave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub waves: Vec<Range<usize>>,
    /// Whether the first wave is the canary.
    pub canary: bool,
}

/// Why a wave list is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaveError {
    /// Not a percentage from 1% to 100%.
    OutOfRange,
    /// Not above the wave before it.
    NotRising,
    /// The last wave stops short of 100%: some targets would never be reached.
    ShortOfAll,
    Empty,
}

impl std::fmt::Display for WaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WaveError::OutOfRange => "a wave is a share of the targets from 1% to 100%",
            WaveError::NotRising => {
                "each wave's share counts from the first target, so it must be above the one \
                 before it"
            }
            WaveError::ShortOfAll => {
                "the last wave must be \"100%\", or some targets would never be reached"
            }
            WaveError::Empty => "give at least one wave, such as [\"100%\"]",
        })
    }
}

/// Reads `"10%"` as 10.
pub fn parse_percent(text: &str) -> Option<u16> {
    let digits = text.trim().strip_suffix('%')?.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok()
}

/// Checks a wave list: every share from 1 to 100, rising, the last 100.
pub fn check(waves: &[u16]) -> Result<(), WaveError> {
    if waves.is_empty() {
        return Err(WaveError::Empty);
    }
    if waves.iter().any(|&p| p == 0 || p > 100) {
        return Err(WaveError::OutOfRange);
    }
    if waves.windows(2).any(|w| w[1] <= w[0]) {
        return Err(WaveError::NotRising);
    }
    if waves.last() != Some(&100) {
        return Err(WaveError::ShortOfAll);
    }
    Ok(())
}

impl Schedule {
    /// The schedule of `total` targets; `waves` is checked already.
    pub fn new(total: usize, canary: usize, waves: &[u16]) -> Schedule {
        let canary = canary.min(total);
        let mut out = Vec::new();
        if canary > 0 {
            out.push(0..canary);
        }
        let mut done = canary;
        for &p in waves {
            let end = (total * usize::from(p)).div_ceil(100).min(total);
            if end > done {
                out.push(done..end);
                done = end;
            }
        }
        if done < total {
            out.push(done..total);
        }
        Schedule {
            waves: out,
            canary: canary > 0,
        }
    }

    /// The wave `index` runs in.
    pub fn wave_of(&self, index: usize) -> Option<usize> {
        self.waves.iter().position(|w| w.contains(&index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_targets_canary_then_rounded_up_shares() {
        let s = Schedule::new(60, 1, &[10, 50, 100]);
        assert_eq!(s.waves, vec![0..1, 1..6, 6..30, 30..60]);
        assert!(s.canary);
        assert_eq!(s.wave_of(0), Some(0));
        assert_eq!(s.wave_of(29), Some(2));
        assert_eq!(s.wave_of(60), None);
    }

    #[test]
    fn small_fleets_round_up_and_drop_empty_waves() {
        // 10% of 3 is 0.3: rounded up to 1, which the canary already covers.
        let s = Schedule::new(3, 1, &[10, 50, 100]);
        assert_eq!(s.waves, vec![0..1, 1..2, 2..3]);
        let s = Schedule::new(3, 0, &[10, 100]);
        assert_eq!(s.waves, vec![0..1, 1..3]);
        assert!(!s.canary);
        assert_eq!(
            Schedule::new(0, 1, &[100]).waves,
            Vec::<Range<usize>>::new()
        );
        // A canary larger than the fleet is the whole fleet.
        assert_eq!(Schedule::new(2, 5, &[100]).waves, vec![0..2]);
    }

    #[test]
    fn every_target_lands_in_exactly_one_wave() {
        for total in 0..130 {
            for canary in 0..4 {
                let s = Schedule::new(total, canary, &[1, 33, 34, 99, 100]);
                let all: Vec<usize> = s.waves.iter().flat_map(|w| w.clone()).collect();
                assert_eq!(all, (0..total).collect::<Vec<_>>(), "{total} {canary}");
                assert!(s.waves.iter().all(|w| !w.is_empty()));
            }
        }
    }

    #[test]
    fn waves_over_100_or_falling_or_short_are_refused() {
        assert_eq!(check(&[10, 150]), Err(WaveError::OutOfRange));
        assert_eq!(check(&[0, 100]), Err(WaveError::OutOfRange));
        assert_eq!(check(&[50, 50, 100]), Err(WaveError::NotRising));
        assert_eq!(check(&[10, 50]), Err(WaveError::ShortOfAll));
        assert_eq!(check(&[]), Err(WaveError::Empty));
        assert_eq!(check(&[10, 50, 100]), Ok(()));
    }

    #[test]
    fn percentages_read_only_whole_numbers_with_the_sign() {
        assert_eq!(parse_percent("10%"), Some(10));
        assert_eq!(parse_percent(" 100 % "), Some(100));
        assert_eq!(parse_percent("250%"), Some(250));
        for bad in ["10", "%", "1.5%", "-5%", "ten%", "99999%"] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
    }
}
