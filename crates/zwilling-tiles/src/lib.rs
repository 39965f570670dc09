//! 3D Tiles writer for zwilling.
#![warn(missing_docs)]
