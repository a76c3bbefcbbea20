//! The values of a config that serde cannot check alone: a number or a schedule, counts and
//! rates in their ranges, formats by their names. A value out of its range is an error of
//! deserializing, so that TOML shows its line.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use super::Setting;
use crate::error::Error;

impl Serialize for Setting {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Setting::Number(n) if n.fract() == 0.0 => serializer.serialize_i64(*n as i64),
            Setting::Number(n) => serializer.serialize_f64(*n),
            Setting::Schedule(schedule) => serializer.serialize_str(&schedule.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Setting {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct NumberOrSchedule;
        impl Visitor<'_> for NumberOrSchedule {
            type Value = Setting;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, or a schedule such as \"compounding(start = 4, stop = 32, compound = 1.001)\"")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> std::result::Result<Setting, E> {
                self.visit_f64(n as f64)
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> std::result::Result<Setting, E> {
                match n.is_finite() && n >= 1.0 {
                    true => Ok(Setting::Number(n)),
                    false => Err(E::custom(format!("must be at least 1, found {n}"))),
                }
            }
            fn visit_str<E: de::Error>(self, text: &str) -> std::result::Result<Setting, E> {
                text.parse()
                    .map(Setting::Schedule)
                    .map_err(|e: Error| E::custom(e))
            }
        }
        deserializer.deserialize_any(NumberOrSchedule)
    }
}

pub(super) fn at_least_one<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<usize, D::Error> {
    let n = u64::deserialize(d)?;
    match n {
        0 => Err(de::Error::custom("must be at least 1, found 0")),
        n => usize::try_from(n).map_err(de::Error::custom),
    }
}

pub(super) fn some_at_least_one<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<usize>, D::Error> {
    at_least_one(d).map(Some)
}

pub(super) fn positive<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    let x = f64::deserialize(d)?;
    match x.is_finite() && x > 0.0 {
        true => Ok(x),
        false => Err(de::Error::custom(format!(
            "must be finite and above 0, found {x}"
        ))),
    }
}

pub(super) fn some_positive<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<f64>, D::Error> {
    positive(d).map(Some)
}

pub(super) fn non_negative<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    let x = f64::deserialize(d)?;
    match x.is_finite() && x >= 0.0 {
        true => Ok(x),
        false => Err(de::Error::custom(format!(
            "must be finite and at least 0, found {x}"
        ))),
    }
}

/// A [`Format`](crate::corpus::Format) in a config, by its name (`tsv`, `conll`, ...).
pub(super) mod format_name {
    use serde::{Deserialize, Deserializer, Serializer, de};

    use crate::corpus::Format;

    const FORMATS: [Format; 4] = [
        Format::Texts,
        Format::Tagged,
        Format::Documents,
        Format::Pairs,
    ];

    pub(in crate::pipeline::config) fn serialize<S: Serializer>(
        format: &Option<Format>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match format {
            Some(format) => serializer.serialize_str(format.name()),
            None => serializer.serialize_none(),
        }
    }

    pub(in crate::pipeline::config) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Format>, D::Error> {
        let name = String::deserialize(d)?;
        let format = FORMATS.into_iter().find(|format| format.name() == name);
        format.map(Some).ok_or_else(|| {
            let names: Vec<&str> = FORMATS.iter().map(|format| format.name()).collect();
            de::Error::custom(format!(
                "unknown format `{name}`, expected one of {}",
                names.join(", ")
            ))
        })
    }
}

/// Token attributes as a list of their names (`["NORM", "SHAPE"]`).
pub(super) mod attr_names {
    use serde::de::{self, Deserializer};
    use serde::{Deserialize, Serializer};

    use crate::text::Attr;

    pub(in super::super) fn serialize<S: Serializer>(
        attrs: &[Attr],
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_seq(attrs.iter().map(|attr| attr.name()))
    }

    pub(in super::super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Vec<Attr>, D::Error> {
        let names = Vec::<String>::deserialize(d)?;
        names
            .iter()
            .map(|name| {
                let attr = Attr::ALL.into_iter().find(|attr| attr.name() == name);
                attr.ok_or_else(|| {
                    let known: Vec<&str> = Attr::ALL.iter().map(|a| a.name()).collect();
                    de::Error::custom(format!(
                        "unknown attribute {name:?}: the attributes are {}",
                        known.join(", ")
                    ))
                })
            })
            .collect()
    }
}
