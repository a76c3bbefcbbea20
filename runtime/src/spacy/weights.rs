//! The parameters of a spaCy tagger, taken from its Thinc models in the order weft's network of
//! the same architecture walks its own, each checked against the architecture, and copied in.
//!
//! weft's layers hold Thinc's parameters as Thinc lays them out: `HashEmbed`'s `E` `(rows,
//! width)`, `StaticVectors`' `W` `(width, dim)`, `Maxout`'s `W` `(width, pieces, n_in)` and `b` `(width, pieces)` (weft's `(width ·
//! pieces, n_in)` and `(width · pieces)`, the same values in the same order), `LayerNorm`'s `G`
//! and `b` `(width)`, `Softmax`'s `W` `(classes, width)` and `b` `(classes)`.

use super::architecture::{EMBED_PIECES, FIRST_SEED, TaggerArchitecture, Tok2VecArchitecture};
use super::thinc_model::{ThincArray, ThincAttr, ThincModel, ThincNode};
use crate::error::{Error, Result};
use crate::model::Params;

/// A parameter to copy into the network: its name, its values in weft's shape, and where it
/// comes from, for messages.
pub(crate) struct Weight<'m> {
    name: &'m str,
    shape: Vec<usize>,
    values: &'m [f32],
    origin: String,
}

/// A parameter of a weft model: its path, shape and values.
pub(crate) type ModelParam = (String, Vec<usize>, Vec<f32>);

/// Every parameter of `model`, in walk order.
pub(crate) fn model_params(model: &dyn Params) -> Vec<ModelParam> {
    let mut params = Vec::new();
    model.for_each_param(&mut |path, param| {
        params.push((
            path.to_string(),
            param.shape().to_vec(),
            param.value().to_vec(),
        ));
    });
    params
}

/// The parameters of another model ([`model_params`]) as weights to copy: each under its
/// name, the last part of its path.
pub(crate) fn weights_of(params: &[ModelParam]) -> Vec<Weight<'_>> {
    params
        .iter()
        .map(|(path, shape, values)| Weight {
            name: path.rsplit('.').next().unwrap_or(path),
            shape: shape.clone(),
            values,
            origin: format!("the parameter {path}"),
        })
        .collect()
}

/// The tagger's parameters in the order of weft's network: the tok2vec's (from `tok2vec`, the
/// tok2vec component's model or the tagger's own), then the output layer's (from `tagger`),
/// for `classes` labels. An error naming the file and the node when a node is missing, extra,
/// or of another shape than the architecture says.
pub(crate) fn tagger_weights<'m>(
    architecture: &TaggerArchitecture,
    tok2vec: &'m ThincModel,
    tagger: &'m ThincModel,
    classes: usize,
) -> Result<Vec<Weight<'m>>> {
    let mut weights = tok2vec_weights(&architecture.tok2vec, tok2vec)?;
    let width = architecture.tok2vec.width;
    let [softmax] = nodes::<1>(tagger, "softmax")?;
    if let Some(normalize) = softmax.attr("softmax_normalize") {
        let expected = ThincAttr::Bool(architecture.normalize);
        if *normalize != expected {
            return Err(file_error(
                tagger,
                format!(
                    "its softmax has softmax_normalize {normalize:?}, the config says normalize = {}",
                    architecture.normalize
                ),
            ));
        }
    }
    weights.push(weight(
        tagger,
        softmax,
        "W",
        &[classes, width],
        &[classes, width],
    )?);
    weights.push(weight(tagger, softmax, "b", &[classes], &[classes])?);
    Ok(weights)
}

/// The tok2vec's parameters: each attribute's table, the mixing maxout and layer norm, then
/// each encoder layer's maxout and layer norm.
fn tok2vec_weights<'m>(
    architecture: &Tok2VecArchitecture,
    model: &'m ThincModel,
) -> Result<Vec<Weight<'m>>> {
    let Tok2VecArchitecture {
        attrs,
        rows,
        width,
        depth,
        window,
        pieces,
        vectors,
    } = architecture;
    let tables = model.nodes_named("hashembed").collect::<Vec<_>>();
    let maxouts = model.nodes_named("maxout").collect::<Vec<_>>();
    let norms = model.nodes_named("layernorm").collect::<Vec<_>>();
    let counts = [
        ("hashembed", tables.len(), attrs.len()),
        ("maxout", maxouts.len(), depth + 1),
        ("layernorm", norms.len(), depth + 1),
    ];
    for (name, found, expected) in counts {
        if found != expected {
            return Err(file_error(
                model,
                format!("{found} nodes `{name}`, the config's architecture has {expected}"),
            ));
        }
    }
    let mut weights = Vec::new();
    for (i, (table, &rows)) in tables.iter().zip(rows).enumerate() {
        for (attr, expected) in [("column", i), ("seed", FIRST_SEED + i)] {
            let found = table.attr(attr);
            if found != Some(&ThincAttr::Int(expected as i128)) {
                return Err(file_error(
                    model,
                    format!(
                        "hashembed {i} ({}) has {attr} {found:?}, not {expected}",
                        attrs[i].name()
                    ),
                ));
            }
        }
        weights.push(weight(model, table, "E", &[rows, *width], &[rows, *width])?);
    }
    if vectors.is_some() {
        // The projection of the vectors: its width is the table's, which the network built
        // over the table checks.
        let [projection] = nodes::<1>(model, "static_vectors")?;
        let dim = projection.param("W").and_then(|w| w.shape.get(1)).copied();
        let shape = [*width, dim.unwrap_or_default()];
        weights.push(weight(model, projection, "W", &shape, &shape)?);
    }
    let embedded = attrs.len() + usize::from(vectors.is_some());
    let layers = [(width * embedded, EMBED_PIECES)]
        .into_iter()
        .chain(std::iter::repeat_n(
            (width * (2 * window + 1), *pieces),
            *depth,
        ));
    for ((maxout, norm), (n_in, pieces)) in maxouts.iter().zip(&norms).zip(layers) {
        let rows = width * pieces;
        weights.push(weight(
            model,
            maxout,
            "W",
            &[*width, pieces, n_in],
            &[rows, n_in],
        )?);
        weights.push(weight(model, maxout, "b", &[*width, pieces], &[rows])?);
        weights.push(weight(model, norm, "G", &[*width], &[*width])?);
        weights.push(weight(model, norm, "b", &[*width], &[*width])?);
    }
    Ok(weights)
}

/// Copies `weights` into `model`, in walk order; an error, before anything is copied, when a
/// parameter's name or shape differs or the counts differ.
pub(crate) fn copy_weights(model: &mut dyn Params, weights: &[Weight<'_>]) -> Result<()> {
    let mut found = Vec::new();
    model.for_each_param(&mut |path, param| found.push((path.to_string(), param.shape().to_vec())));
    if found.len() != weights.len() {
        return Err(Error::Network {
            message: format!(
                "the network has {} parameters, the weights to copy {}",
                found.len(),
                weights.len()
            ),
        });
    }
    for ((path, shape), weight) in found.iter().zip(weights) {
        let name = path.rsplit('.').next().unwrap_or(path);
        if name != weight.name || *shape != weight.shape {
            return Err(Error::Network {
                message: format!(
                    "the parameter {path} {shape:?} cannot take {} {:?}",
                    weight.origin, weight.shape
                ),
            });
        }
    }
    let mut weights = weights.iter();
    model.for_each_param_mut(&mut |_, param| {
        if let Some(weight) = weights.next() {
            param.value_mut().copy_from_slice(weight.values);
        }
    })
}

/// The `count` nodes named `name`; an error when there are more or fewer.
fn nodes<'m, const COUNT: usize>(
    model: &'m ThincModel,
    name: &'m str,
) -> Result<[&'m ThincNode; COUNT]> {
    let found: Vec<_> = model.nodes_named(name).collect();
    let count = found.len();
    <[&ThincNode; COUNT]>::try_from(found)
        .map_err(|_| file_error(model, format!("{count} nodes `{name}`, {COUNT} expected")))
}

/// The parameter `name` of `node`, of Thinc's shape `thinc`, as weft's `shape`.
fn weight<'m>(
    model: &'m ThincModel,
    node: &'m ThincNode,
    name: &'m str,
    thinc: &[usize],
    shape: &[usize],
) -> Result<Weight<'m>> {
    let index = model
        .nodes()
        .iter()
        .position(|n| std::ptr::eq(n, node))
        .unwrap_or_default();
    let origin = format!("node {index} `{}` parameter {name}", node.name());
    let array: &ThincArray = node
        .param(name)
        .ok_or_else(|| file_error(model, format!("{origin} is missing")))?;
    if array.shape != thinc {
        return Err(file_error(
            model,
            format!(
                "{origin} has shape {:?}, not {thinc:?} as the config and labels say",
                array.shape
            ),
        ));
    }
    Ok(Weight {
        name,
        shape: shape.to_vec(),
        values: &array.data,
        origin: format!("{} {origin}", model.path().display()),
    })
}

fn file_error(model: &ThincModel, message: String) -> Error {
    Error::Spacy {
        path: model.path().to_path_buf(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Const;
    use crate::layers::{Linear, Softmax};

    #[test]
    fn weights_go_to_the_parameters_of_their_name_and_shape_only() {
        let from = Linear::new(Const::<3>, Const::<2>);
        let params = model_params(&from);
        let mut same = Softmax::new(Const::<3>, Const::<2>);
        copy_weights(&mut same, &weights_of(&params)).unwrap();
        assert_eq!(model_params(&same)[0].2, params[0].2);

        let mut wider = Linear::new(Const::<3>, Const::<4>);
        let before = model_params(&wider);
        let err = copy_weights(&mut wider, &weights_of(&params)).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("0.linear.W [4, 3] cannot take the parameter 0.linear.W [2, 3]"),
            "{text}"
        );
        assert_eq!(model_params(&wider), before, "nothing is copied");
        let err = copy_weights(&mut wider, &weights_of(&params[..1])).unwrap_err();
        assert!(
            err.to_string()
                .contains("2 parameters, the weights to copy 1"),
            "{err}"
        );
    }
}
