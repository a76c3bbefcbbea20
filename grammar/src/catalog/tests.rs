use super::*;

/// The placeholders of a template: (`$` or `#`, name).
fn placeholders(template: &str) -> Vec<(char, String)> {
    let mut found = Vec::new();
    for (i, c) in template.char_indices() {
        if c == '$' || c == '#' {
            let rest = &template[i + 1..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            found.push((c, rest[..end].to_string()));
        }
    }
    found
}

#[test]
fn names_are_unique_and_arguments_are_their_layers_own() {
    for (i, spec) in LAYERS.iter().enumerate() {
        assert!(
            LAYERS[..i].iter().all(|s| s.name != spec.name),
            "{} twice",
            spec.name
        );
        assert!(
            combinator(spec.name).is_none(),
            "{} is a combinator",
            spec.name
        );
        let names = spec.arg_names();
        for (j, name) in names.iter().enumerate() {
            assert!(!names[..j].contains(name), "{}: `{name}` twice", spec.name);
        }
        assert!(
            spec.args
                .iter()
                .all(|a| a.name != INPUT && a.name != "in" && a.name != "out")
        );
    }
}

#[test]
fn defaults_suit_their_kinds_and_width_rules_name_widths() {
    for spec in LAYERS {
        for a in spec.args {
            let fits = match a.default {
                ArgDefault::Int(_) => !a.kind.is_rate() && a.kind != ArgKind::Flag,
                ArgDefault::Bool(_) => a.kind == ArgKind::Flag,
                ArgDefault::Float(x) => a.kind.is_rate() && (0.0..1.0).contains(&x),
                ArgDefault::Input | ArgDefault::KnownInput => {
                    a.kind == ArgKind::Width && spec.takes_input()
                }
                ArgDefault::FromData(_) => matches!(a.kind, ArgKind::Width | ArgKind::Size),
                // The message of a missing argument describes a table.
                ArgDefault::Required => a.kind == ArgKind::Table,
            };
            assert!(
                fits,
                "{}: `{}` defaults to {:?}",
                spec.name, a.name, a.default
            );
            if let ArgKind::Between(count) = a.kind {
                let count = spec.arg(count).map(|c| c.kind);
                assert_eq!(count, Some(ArgKind::Count), "{}: `{}`", spec.name, a.name);
            }
            if let ArgDefault::Int(0) = a.default {
                assert!(
                    matches!(a.kind, ArgKind::Seed | ArgKind::Index),
                    "{}: `{}` is at least 1",
                    spec.name,
                    a.name
                );
            }
        }
        if let Width::Arg(name) | Width::Twice(name) = spec.width {
            let arg = spec.arg(name).expect("the width rule names an argument");
            assert_eq!(arg.kind, ArgKind::Width, "{}: `{name}`", spec.name);
        }
        if let Width::Window(name) = spec.width {
            let arg = spec.arg(name).expect("the width rule names an argument");
            assert_eq!(arg.kind, ArgKind::Count, "{}: `{name}`", spec.name);
        }
        if let Width::Parts { flags, .. } = spec.width {
            for name in flags {
                let arg = spec.arg(name).expect("the width rule names an argument");
                assert_eq!(arg.kind, ArgKind::Flag, "{}: `{name}`", spec.name);
            }
        }
    }
}

#[test]
fn templates_use_every_argument_and_name_only_widths_as_types() {
    for spec in LAYERS {
        let (value, ty) = (placeholders(spec.value), placeholders(spec.ty));
        for (sigil, name) in value.iter().chain(&ty) {
            let width = name == "in"
                || name == "out"
                || spec.arg(name).is_some_and(|a| a.kind == ArgKind::Width);
            assert!(
                width || (*sigil == '$' && spec.arg(name).is_some()),
                "{}: `{sigil}{name}`",
                spec.name
            );
        }
        for a in spec.args {
            let used = value.iter().any(|(_, n)| n == a.name)
                || (spec.width == Width::Arg(a.name) && value.iter().any(|(_, n)| n == "out"));
            assert!(used, "{}: the template leaves out `{}`", spec.name, a.name);
        }
    }
}
