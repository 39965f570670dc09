//! Which context an item after the point core uses, LASzip's version 3 and 4 rules.
//!
//! The items after the point-14 core (RGB, NIR, extra bytes) keep models per context (scanner
//! channel) and a last value per context. On a point whose context differs from the last one
//! used, a context never used in the chunk starts from the last value of the previous one. The
//! versions differ in which last value predicts: version 4 always the new context's, version 3
//! only when that context was just started (otherwise it keeps predicting from the previous
//! context's value, a quirk the format must keep).
//!
//! Source: LASzip 3 (rapidlasso), `LASreadItemCompressed_RGB14_v3`/`_v4` and siblings.
//!
//! ```
//! use zwilling_laz::switch::ContextSwitch;
//! let mut v3 = ContextSwitch::new(false);
//! v3.first(0);
//! assert_eq!(v3.enter(2), (2, 2, Some(0))); // new context 2 starts from context 0's value
//! assert_eq!(v3.enter(0), (0, 2, None)); // version 3: context 0's models, context 2's value
//! let mut v4 = ContextSwitch::new(true);
//! v4.first(0);
//! v4.enter(2);
//! assert_eq!(v4.enter(0), (0, 0, None));
//! ```

/// The context state of one item in one chunk.
#[derive(Clone, Copy, Debug)]
pub struct ContextSwitch {
    v4: bool,
    unused: [bool; 4],
    last_used: usize,
}

impl ContextSwitch {
    /// The rule of item version 4 (`v4`) or 3.
    pub fn new(v4: bool) -> Self {
        ContextSwitch { v4, unused: [true; 4], last_used: 0 }
    }

    /// Starts a chunk whose first point is in `context`.
    pub fn first(&mut self, context: usize) {
        self.unused = [true; 4];
        self.unused[context & 3] = false;
        self.last_used = context & 3;
    }

    /// Enters `context` for a point: returns the context whose models decode, the context whose
    /// last value predicts (and takes the result), and the context whose last value must first be
    /// copied into `context` (when it starts).
    #[inline(always)]
    pub fn enter(&mut self, context: usize) -> (usize, usize, Option<usize>) {
        let context = context & 3;
        let mut last = self.last_used;
        let mut copy = None;
        if self.last_used != context {
            self.last_used = context;
            if self.unused[context] {
                copy = Some(last);
                self.unused[context] = false;
                if !self.v4 {
                    last = context;
                }
            }
            if self.v4 {
                last = context;
            }
        }
        (self.last_used, last, copy)
    }
}

/// The last value per context of an item after the point core, under the [`ContextSwitch`] rule.
#[derive(Clone, Debug)]
pub struct PerContext<T> {
    switch: ContextSwitch,
    last: [T; 4],
}

impl<T: Clone> PerContext<T> {
    /// Values `init` in every context, for item version 4 (`v4`) or 3.
    pub fn new(v4: bool, init: T) -> Self {
        PerContext { switch: ContextSwitch::new(v4), last: std::array::from_fn(|_| init.clone()) }
    }

    /// Starts a chunk whose first point is in `context` with `value`.
    pub fn first(&mut self, context: usize, value: T) {
        self.switch.first(context);
        self.last[context & 3] = value;
    }

    /// Enters `context` for a point: the context whose models decode, and the last value that
    /// predicts and is to be replaced by the point's value.
    #[inline(always)]
    pub fn enter(&mut self, context: usize) -> (usize, &mut T) {
        let (models, last, copy) = self.switch.enter(context);
        if let Some(from) = copy {
            self.last[models] = self.last[from].clone();
        }
        (models, &mut self.last[last])
    }
}
