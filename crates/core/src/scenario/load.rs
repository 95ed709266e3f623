//! `[load]` checked into a [`Load`]: the profile, its rates and lengths,
//! and a saturation search's objective, each error with its place.

use super::{
    validate::Validator, Direction, End, HumanDuration, Load, LoadFile, Objective, Overrides,
    Profile, ProfileKind, Rate, Saturate, ScenarioError,
};
use std::time::Duration;
use toml::Spanned;

/// Default `load.coalesce`: sends due within a millisecond share a request.
pub(crate) const DEFAULT_COALESCE: Duration = Duration::from_millis(1);
/// Largest `load.coalesce`: sending further ahead would reshape the load.
pub(crate) const MAX_COALESCE: Duration = Duration::from_millis(50);

impl Validator<'_> {
    /// Checks `[load]`, after applying the command line's `--rate`,
    /// `--duration` and `--count` (written into `file`, so the scenario as
    /// run shows them).
    pub(super) fn load(&self, file: &mut LoadFile, ov: &Overrides) -> Result<Load, ScenarioError> {
        let kind = file
            .profile
            .as_ref()
            .map_or(ProfileKind::Constant, |p| *p.get_ref());
        let profile_span = file.profile.as_ref().map_or(0..0, |p| p.span());
        let fits = |flag: &str, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(Self::cli_error(
                    flag,
                    format!("does not apply to a {} profile", name(kind)),
                ))
            }
        };
        if let Some(rate) = ov.rate {
            fits("--rate", kind == ProfileKind::Constant)?;
            if Rate::new(rate).is_none() {
                return Err(Self::cli_error("--rate", "must be a number greater than 0"));
            }
            file.rate = Some(Spanned::new(0..0, rate));
        }
        if let Some(d) = ov.duration {
            fits(
                "--duration",
                matches!(
                    kind,
                    ProfileKind::Constant | ProfileKind::Ramp | ProfileKind::Closed
                ),
            )?;
            file.duration = Some(Spanned::new(0..0, HumanDuration(d)));
            file.count = None;
        }
        if let Some(n) = ov.count {
            fits(
                "--count",
                matches!(kind, ProfileKind::Constant | ProfileKind::Closed),
            )?;
            file.count = Some(Spanned::new(0..0, n));
            file.duration = None;
        }
        // Fields of other profiles are mistakes, not options: say so.
        let given: [(&str, bool, &[ProfileKind]); 11] = [
            ("rate", file.rate.is_some(), &[ProfileKind::Constant]),
            (
                "duration",
                file.duration.is_some(),
                &[
                    ProfileKind::Constant,
                    ProfileKind::Ramp,
                    ProfileKind::Closed,
                ],
            ),
            (
                "count",
                file.count.is_some(),
                &[ProfileKind::Constant, ProfileKind::Closed],
            ),
            (
                "concurrency",
                file.concurrency.is_some(),
                &[ProfileKind::Closed],
            ),
            ("wait_for", file.wait_for.is_some(), &[ProfileKind::Closed]),
            ("from", file.from.is_some(), &[ProfileKind::Ramp]),
            ("to", file.to.is_some(), &[ProfileKind::Ramp]),
            ("direction", file.direction.is_some(), &[ProfileKind::Ramp]),
            ("rates", file.rates.is_some(), &[ProfileKind::Steps]),
            ("step", file.step.is_some(), &[ProfileKind::Steps]),
            (
                "saturate",
                file.saturate.is_some() || file.objective.is_some(),
                &[ProfileKind::Saturate],
            ),
        ];
        if let Some((field, ..)) = given
            .iter()
            .find(|(_, set, kinds)| *set && !kinds.contains(&kind))
        {
            return Err(self.error(
                profile_span,
                &format!("load.{field}"),
                format!("does not apply to a {} profile", name(kind)),
            ));
        }

        let profile = match kind {
            ProfileKind::Constant => {
                let rate = self.rate(&file.rate, "load.rate", profile_span.clone())?;
                let rate_span = file.rate.as_ref().map_or(0..0, |r| r.span());
                let end = self.end(file, rate_span)?;
                Profile::Constant { rate, end }
            }
            ProfileKind::Ramp => {
                let from = self.rate(&file.from, "load.from", profile_span.clone())?;
                let to = self.rate(&file.to, "load.to", profile_span.clone())?;
                let over = match &file.duration {
                    Some(d) => self.positive(d, "load.duration")?,
                    None => {
                        return Err(self.error(
                            profile_span,
                            "load.duration",
                            "a ramp needs its length",
                        ))
                    }
                };
                let down = from.per_second() > to.per_second();
                match (file.direction, down) {
                    (None, true) => {
                        return Err(self.error(
                            file.to.as_ref().map_or(0..0, |t| t.span()),
                            "load.to",
                            format!(
                            "{} is below load.from ({}); for a ramp down, say direction = \"down\"",
                            to.per_second(),
                            from.per_second()
                        ),
                        ))
                    }
                    (Some(Direction::Up), true) | (Some(Direction::Down), false) => {
                        return Err(self.error(
                            file.to.as_ref().map_or(0..0, |t| t.span()),
                            "load.direction",
                            "does not match load.from and load.to",
                        ))
                    }
                    _ => {}
                }
                Profile::Ramp { from, to, over }
            }
            ProfileKind::Steps => {
                let Some(rates) = &file.rates else {
                    return Err(self.error(profile_span, "load.rates", "steps need their rates"));
                };
                if rates.get_ref().is_empty() {
                    return Err(self.error(rates.span(), "load.rates", "name at least one rate"));
                }
                let checked = rates
                    .get_ref()
                    .iter()
                    .map(|&r| Rate::new(r))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        self.error(
                            rates.span(),
                            "load.rates",
                            "every rate must be a number greater than 0",
                        )
                    })?;
                let step = match &file.step {
                    Some(s) => self.positive(s, "load.step")?,
                    None => {
                        return Err(self.error(
                            rates.span(),
                            "load.step",
                            "steps need their length",
                        ))
                    }
                };
                Profile::Steps {
                    rates: checked,
                    step,
                }
            }
            ProfileKind::Saturate => Profile::Saturate(self.saturate(file, profile_span)?),
            ProfileKind::Closed => {
                let concurrency = match &file.concurrency {
                    Some(c) if *c.get_ref() == 0 => {
                        return Err(self.error(c.span(), "load.concurrency", "must be at least 1"))
                    }
                    Some(c) => *c.get_ref(),
                    None => {
                        return Err(self.error(
                            profile_span,
                            "load.concurrency",
                            "a closed loop needs the number of transactions to keep in flight",
                        ))
                    }
                };
                Profile::Closed {
                    concurrency,
                    wait_for: file.wait_for.as_ref().map(|l| *l.get_ref()),
                    end: self.end(file, profile_span)?,
                }
            }
        };
        Ok(Load {
            shape: file.shape,
            profile,
            warmup: file.warmup.get_or_insert(HumanDuration(Duration::ZERO)).0,
            coalesce: self.coalesce(file)?,
            drain_timeout: file.drain_timeout.map(|d| d.0),
        })
    }

    /// `coalesce`: at most [`MAX_COALESCE`], since it moves sends early.
    fn coalesce(&self, file: &LoadFile) -> Result<Duration, ScenarioError> {
        let Some(c) = &file.coalesce else {
            return Ok(DEFAULT_COALESCE);
        };
        if c.get_ref().0 > MAX_COALESCE {
            return Err(self.error(
                c.span(),
                "load.coalesce",
                format!(
                    "at most {} ms: it sends transactions up to that much ahead of their time",
                    MAX_COALESCE.as_millis()
                ),
            ));
        }
        Ok(c.get_ref().0)
    }

    /// `duration` or `count`, exactly one; `at` places the error when neither is given.
    fn end(&self, file: &LoadFile, at: std::ops::Range<usize>) -> Result<End, ScenarioError> {
        match (&file.duration, &file.count) {
            (Some(d), None) => Ok(End::After(self.positive(d, "load.duration")?)),
            (None, Some(n)) if *n.get_ref() == 0 => {
                Err(self.error(n.span(), "load.count", "must be at least 1"))
            }
            (None, Some(n)) => Ok(End::Count(*n.get_ref())),
            (Some(d), Some(_)) => Err(self.error(
                d.span(),
                "load.duration",
                "give either load.duration or load.count, not both",
            )),
            (None, None) => Err(self.error(at, "load", "give load.duration or load.count")),
        }
    }

    fn saturate(
        &self,
        file: &mut LoadFile,
        span: std::ops::Range<usize>,
    ) -> Result<Saturate, ScenarioError> {
        let Some(s) = &mut file.saturate else {
            return Err(self.error(
                span,
                "load.saturate",
                "a saturate profile needs [load.saturate] with from and to",
            ));
        };
        let s = s.get_mut();
        let from = self.rate(&Some(s.from.clone()), "load.saturate.from", 0..0)?;
        let to = self.rate(&Some(s.to.clone()), "load.saturate.to", 0..0)?;
        if to.per_second() < from.per_second() {
            return Err(self.error(
                s.to.span(),
                "load.saturate.to",
                "the highest rate probed must be at least load.saturate.from",
            ));
        }
        let factor = *s.factor.get_or_insert(Spanned::new(0..0, 1.5)).get_ref();
        if !(factor.is_finite() && factor > 1.0) {
            return Err(self.error(
                s.factor.as_ref().map_or(0..0, |f| f.span()),
                "load.saturate.factor",
                "must be greater than 1",
            ));
        }
        let resolution = *s
            .resolution
            .get_or_insert(Spanned::new(0..0, 0.05))
            .get_ref();
        if !(resolution > 0.0 && resolution < 1.0) {
            return Err(self.error(
                s.resolution.as_ref().map_or(0..0, |r| r.span()),
                "load.saturate.resolution",
                "must lie between 0 and 1 (a share of the rate)",
            ));
        }
        let probe = s
            .probe
            .get_or_insert(Spanned::new(0..0, HumanDuration(Duration::from_secs(20))))
            .clone();
        let probe = self.positive(&probe, "load.saturate.probe")?;
        let probe_warmup = s
            .probe_warmup
            .get_or_insert(HumanDuration(Duration::from_secs(5)))
            .0;
        let max_probes = *s.max_probes.get_or_insert(Spanned::new(0..0, 12)).get_ref();
        if max_probes < 2 {
            return Err(self.error(
                s.max_probes.as_ref().map_or(0..0, |m| m.span()),
                "load.saturate.max_probes",
                "must be at least 2: one that holds and one that breaks",
            ));
        }
        let o = file
            .objective
            .get_or_insert(Spanned::new(0..0, Default::default()));
        let o = o.get_mut();
        let landed = *o.landed.get_or_insert(Spanned::new(0..0, 0.99)).get_ref();
        if !(landed > 0.0 && landed <= 1.0) {
            return Err(self.error(
                o.landed.as_ref().map_or(0..0, |l| l.span()),
                "load.objective.landed",
                "must be a share above 0 and at most 1 (0.99 is 99%)",
            ));
        }
        let percentile = *o
            .percentile
            .get_or_insert(Spanned::new(0..0, 99.0))
            .get_ref();
        if !(percentile > 0.0 && percentile <= 100.0) {
            return Err(self.error(
                o.percentile.as_ref().map_or(0..0, |p| p.span()),
                "load.objective.percentile",
                "must lie above 0 and at most 100",
            ));
        }
        let latency = o
            .latency
            .get_or_insert(Spanned::new(0..0, HumanDuration(Duration::from_secs(2))))
            .clone();
        let latency = self.positive(&latency, "load.objective.latency")?;
        Ok(Saturate {
            from,
            to,
            factor,
            resolution,
            probe,
            probe_warmup,
            max_probes,
            objective: Objective {
                landed,
                level: o.level.as_ref().map(|l| *l.get_ref()),
                percentile,
                latency,
            },
        })
    }

    fn rate(
        &self,
        rate: &Option<Spanned<f64>>,
        field: &str,
        missing_at: std::ops::Range<usize>,
    ) -> Result<Rate, ScenarioError> {
        let Some(r) = rate else {
            return Err(self.error(missing_at, field, "give the rate (transactions per second)"));
        };
        Rate::new(*r.get_ref()).ok_or_else(|| {
            self.error(
                r.span(),
                field,
                "must be a number greater than 0 (transactions per second)",
            )
        })
    }

    fn positive(&self, d: &Spanned<HumanDuration>, field: &str) -> Result<Duration, ScenarioError> {
        if d.get_ref().0.is_zero() {
            return Err(self.error(d.span(), field, "must be longer than 0s"));
        }
        Ok(d.get_ref().0)
    }
}

fn name(kind: ProfileKind) -> &'static str {
    match kind {
        ProfileKind::Constant => "constant",
        ProfileKind::Ramp => "ramp",
        ProfileKind::Steps => "steps",
        ProfileKind::Saturate => "saturate",
        ProfileKind::Closed => "closed",
    }
}
