//! How walks meet a layer used in several places ([`Shared`](crate::combinators::Shared)):
//! its parameters are walked once, at its first use, and every later use is a `shared` entry
//! naming the positions of the first (`2.shared of=0..2`), so that a saved model names each
//! parameter once and its signature tells which layers are one.
//!
//! Every use holds the layer behind an `Arc`. A walk that changes parameters needs the layer
//! to itself, which it is not while the uses hold it: [`walk_mut`] first takes the layer from
//! every use (the detach walk), keeping one `Arc` per layer; the layer is then the walk's
//! alone (`Arc::get_mut`) unless a use outside the model holds it, which is an error before
//! any value changes. The parameter walk follows, then the uses get the layer back (the
//! attach walk). A model without shared layers is walked once more than it would be, for the
//! detach walk, which finds nothing and writes nothing.

use std::any::Any;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::model::{Param, Params, VisitMut, Walk};

/// What a mutable walk does at a use of a shared layer.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
enum Stage {
    /// The use gives its layer to the walk.
    Detach,
    /// The parameters are walked, at the layer's first use.
    #[default]
    Params,
    /// The use takes its layer back.
    Attach,
}

/// A shared layer taken from its uses: an `Arc<M>`, of which the walk holds one.
trait Parked: Any + Send + Sync {
    /// Whether this is the only `Arc` of the layer.
    fn is_unique(&mut self) -> bool;
}

impl<M: Send + Sync + 'static> Parked for Arc<M> {
    fn is_unique(&mut self) -> bool {
        Arc::get_mut(self).is_some()
    }
}

/// The shared layers a walk met.
#[derive(Default)]
pub(crate) struct SharedUses {
    stage: Stage,
    /// Each layer met by the address of its values, with the positions its layers took at
    /// its first use (`0..2`).
    first: Vec<(usize, String)>,
    /// The layers a detach walk took, by address.
    parked: Vec<(usize, Box<dyn Parked>)>,
}

impl<F: ?Sized> Walk<'_, F> {
    /// Walks a use of the shared layer at `address`: `body` walks the layer at its first use;
    /// a later use is a `shared` layer naming the positions of the first.
    pub(crate) fn shared_use(&mut self, address: usize, body: impl FnOnce(&mut Self)) {
        if let Some((_, of)) = self.shared.first.iter().find(|(a, _)| *a == address) {
            let of = of.clone();
            self.layer("shared", |walk| walk.attr("of", &of));
            return;
        }
        let start = self.position();
        self.child(body);
        let of = format!("{start}..{}", self.position());
        self.shared.first.push((address, of));
    }
}

impl VisitMut<'_> {
    /// Walks a use of a shared layer mutably: gives the layer to a detach walk, takes it back
    /// in an attach walk, and walks its parameters at its first use otherwise.
    ///
    /// # Panics
    /// When the use holds no layer outside a [`walk_mut`]: only a panic inside an earlier walk
    /// can leave it so.
    pub(crate) fn shared_use_mut<M: Params + Send + Sync + 'static>(
        &mut self,
        layer: &mut Option<Arc<M>>,
        address: usize,
    ) {
        let parked = self.shared.parked.iter().position(|(a, _)| *a == address);
        match (self.shared.stage, parked) {
            (Stage::Detach, parked) => {
                let taken = layer
                    .take()
                    .expect("a shared layer's use holds it between walks");
                if parked.is_none() {
                    self.shared.parked.push((address, Box::new(taken)));
                }
            }
            (Stage::Attach, Some(i)) => {
                let parked = &*self.shared.parked[i].1 as &dyn Any;
                *layer = parked.downcast_ref::<Arc<M>>().cloned();
            }
            (Stage::Attach, None) => {}
            (Stage::Params, Some(i)) => {
                // Out of the list for the length of the layer's walk, which may meet others.
                let (_, mut parked) = self.shared.parked.swap_remove(i);
                let shared = (&mut *parked as &mut dyn Any).downcast_mut::<Arc<M>>();
                self.shared_use(address, |walk| {
                    if let Some(shared) = shared.and_then(Arc::get_mut) {
                        shared.visit_mut(walk);
                    }
                });
                self.shared.parked.push((address, parked));
            }
            // A walk outside `walk_mut` (`visit_mut` called by hand) reaches the layer through
            // the use's own `Arc` where no other holds it.
            (Stage::Params, None) => self.shared_use(address, |walk| {
                if let Some(shared) = layer.as_mut().and_then(Arc::get_mut) {
                    shared.visit_mut(walk);
                }
            }),
        }
    }
}

/// Calls `f` with the path of every parameter of `model` and the parameter, mutably; a shared
/// layer's once. An error, before any parameter is reached, when a use of a shared layer is
/// held outside `model` (by another model, or inside another shared layer): its parameters
/// cannot change while another may read them.
pub(crate) fn walk_mut<P: Params + ?Sized>(
    model: &mut P,
    f: &mut dyn FnMut(&str, &mut Param),
) -> Result<()> {
    let mut nothing = |_: &str, _: &mut Param| {};
    let mut detach = Walk::new(&mut nothing as &mut dyn FnMut(&str, &mut Param));
    detach.shared.stage = Stage::Detach;
    model.visit_mut(&mut detach);
    let mut parked = std::mem::take(&mut detach.shared.parked);
    if parked.is_empty() {
        model.visit_mut(&mut Walk::new(f));
        return Ok(());
    }
    let elsewhere = !parked.iter_mut().all(|(_, layer)| layer.is_unique());
    if !elsewhere {
        let mut walk = Walk::new(f);
        walk.shared.parked = parked;
        model.visit_mut(&mut walk);
        parked = walk.shared.parked;
    }
    let mut attach = Walk::new(&mut nothing as &mut dyn FnMut(&str, &mut Param));
    attach.shared = SharedUses {
        stage: Stage::Attach,
        parked,
        ..SharedUses::default()
    };
    model.visit_mut(&mut attach);
    if elsewhere {
        return Err(Error::Shared {
            message: "a layer this model shares (`shared`, or one value used twice in \
                      `model!`) is also held outside it, by another model or another shared \
                      layer: its parameters cannot change while that may read them; keep \
                      every use of a shared layer in one model"
                .into(),
        });
    }
    Ok(())
}
