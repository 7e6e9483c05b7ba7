//! Arrays ([`Array`]): PostgreSQL's `anyarray` values — an element type, up to six
//! dimensions (each a length and a lower bound) and the elements in row-major order, any of
//! which may be NULL. This file owns their text form (`{1,2,NULL}`, `{{1,2},{3,4}}`,
//! `[0:1]={a,b}`), binary wire form, storage encoding, order and the element-type ↔ array-type
//! OID mapping (`int4` 23 ↔ `_int4` 1007).
//!
//! Comparison follows `array_cmp`: element by element (NULL elements equal each other and
//! sort after every value), then the element count, then the dimensions.

use super::errors::bad_binary;
use super::value::{DataType, Value};
use crate::sql::error::{SqlError, sqlstate};
use bytes::{BufMut, BytesMut};
use std::cmp::Ordering;
use std::fmt::Write;

/// PostgreSQL's MAXDIM.
pub const MAX_DIMENSIONS: usize = 6;

/// One dimension of an array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayDim {
    pub length: i32,
    pub lower: i32,
}

/// An array value. An empty array has no dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    pub element_type: DataType,
    pub dims: Vec<ArrayDim>,
    pub elements: Vec<Value>,
}

/// Element types and the OIDs of their array types (`pg_type.typarray`).
const ARRAY_OIDS: &[(u32, u32)] = &[
    (16, 1000),   // bool
    (17, 1001),   // bytea
    (19, 1003),   // name
    (20, 1016),   // int8
    (21, 1005),   // int2
    (23, 1007),   // int4
    (25, 1009),   // text
    (26, 1028),   // oid
    (114, 199),   // json
    (700, 1021),  // float4
    (701, 1022),  // float8
    (1042, 1014), // bpchar
    (1043, 1015), // varchar
    (1082, 1182), // date
    (1114, 1115), // timestamp
    (1184, 1185), // timestamptz
    (1186, 1187), // interval
    (1700, 1231), // numeric
    (2950, 2951), // uuid
    (3802, 3807), // jsonb
];

/// The OID of the array type whose elements have OID `element_oid`.
pub fn array_type_oid(element_oid: u32) -> Option<u32> {
    ARRAY_OIDS.iter().find(|(e, _)| *e == element_oid).map(|(_, a)| *a)
}

/// The element type OID of array type `array_oid`.
pub fn element_type_oid(array_oid: u32) -> Option<u32> {
    ARRAY_OIDS.iter().find(|(_, a)| *a == array_oid).map(|(e, _)| *e)
}

/// Every (element OID, array OID) pair, for pg_type.
pub fn array_type_oids() -> &'static [(u32, u32)] {
    ARRAY_OIDS
}

fn malformed(text: &str, detail: &str) -> SqlError {
    SqlError::new(
        sqlstate::INVALID_TEXT_REPRESENTATION,
        format!("malformed array literal: \"{text}\""),
    )
    .with_detail(detail)
}

fn too_many_dimensions(n: usize) -> SqlError {
    SqlError::new(
        sqlstate::PROGRAM_LIMIT_EXCEEDED,
        format!("number of array dimensions ({n}) exceeds the maximum allowed ({MAX_DIMENSIONS})"),
    )
}

/// PostgreSQL's `array_isspace`.
fn is_array_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}')
}

impl Array {
    /// A one-dimensional array (lower bound 1) of `elements`; empty without elements.
    pub fn new(element_type: DataType, elements: Vec<Value>) -> Array {
        let dims = if elements.is_empty() {
            Vec::new()
        } else {
            vec![ArrayDim { length: i32::try_from(elements.len()).unwrap_or(i32::MAX), lower: 1 }]
        };
        Array { element_type, dims, elements }
    }

    /// Builds an array from sub-arrays of equal dimensions (`ARRAY[[1,2],[3,4]]`): one more
    /// dimension. All empty → empty. Mismatched → 2202E.
    pub fn from_subarrays(element_type: DataType, parts: Vec<Array>) -> Result<Array, SqlError> {
        if parts.iter().all(|p| p.elements.is_empty()) {
            return Ok(Array { element_type, dims: Vec::new(), elements: Vec::new() });
        }
        let inner = parts.first().map(|p| p.dims.clone()).unwrap_or_default();
        if parts.iter().any(|p| p.dims.iter().map(|d| d.length).ne(inner.iter().map(|d| d.length)))
        {
            return Err(SqlError::new(
                sqlstate::ARRAY_SUBSCRIPT_ERROR,
                "multidimensional arrays must have array expressions with matching dimensions",
            ));
        }
        if inner.len() + 1 > MAX_DIMENSIONS {
            return Err(too_many_dimensions(inner.len() + 1));
        }
        let mut dims =
            vec![ArrayDim { length: i32::try_from(parts.len()).unwrap_or(i32::MAX), lower: 1 }];
        dims.extend(inner);
        let elements = parts.into_iter().flat_map(|p| p.elements).collect();
        Ok(Array { element_type, dims, elements })
    }

    /// Number of dimensions (0 for an empty array).
    pub fn ndims(&self) -> usize {
        self.dims.len()
    }

    /// Whether any element is NULL.
    pub fn has_nulls(&self) -> bool {
        self.elements.iter().any(Value::is_null)
    }

    // ---- text form ----

    /// `array_out`: `{1,2,NULL}`, nested braces per dimension, elements quoted when needed,
    /// and a `[lb:ub]=` prefix when a lower bound is not 1.
    pub fn write_text<W: Write>(&self, out: &mut W) {
        if self.dims.is_empty() {
            let _ = out.write_str("{}");
            return;
        }
        if self.dims.iter().any(|d| d.lower != 1) {
            for d in &self.dims {
                let upper = i64::from(d.lower) + i64::from(d.length) - 1;
                let _ = write!(out, "[{}:{}]", d.lower, upper);
            }
            let _ = out.write_char('=');
        }
        let mut next = 0;
        self.write_level(0, &mut next, out);
    }

    fn write_level<W: Write>(&self, level: usize, next: &mut usize, out: &mut W) {
        let _ = out.write_char('{');
        let length = self.dims.get(level).map_or(0, |d| d.length.max(0));
        for i in 0..length {
            if i > 0 {
                let _ = out.write_char(',');
            }
            if level + 1 < self.dims.len() {
                self.write_level(level + 1, next, out);
            } else {
                match self.elements.get(*next) {
                    None | Some(Value::Null) => {
                        let _ = out.write_str("NULL");
                    }
                    Some(value) => write_element(&value.to_text(), out),
                }
                *next += 1;
            }
        }
        let _ = out.write_char('}');
    }

    /// `array_in`: parses the text form into an array of `element_type` (22P02 with
    /// PostgreSQL's "malformed array literal" message on bad syntax).
    pub fn parse_text(element_type: &DataType, text: &str) -> Result<Array, SqlError> {
        let mut parser = ArrayParser { text, chars: text.char_indices().peekable() };
        parser.skip_spaces();
        let explicit_dims = parser.dimension_decoration()?;
        parser.skip_spaces();
        if parser.chars.peek().map(|(_, c)| *c) != Some('{') {
            return Err(malformed(
                text,
                "Array value must start with \"{\" or dimension information.",
            ));
        }
        let mut shape = Shape::default();
        let mut items = Vec::new();
        parser.level(0, &mut shape, &mut items)?;
        parser.skip_spaces();
        if parser.chars.peek().is_some() {
            return Err(malformed(text, "Junk after closing right brace."));
        }
        let mut dims: Vec<ArrayDim> = shape
            .lengths
            .iter()
            .map(|&n| ArrayDim {
                length: i32::try_from(n.unwrap_or(0)).unwrap_or(i32::MAX),
                lower: 1,
            })
            .collect();
        if items.is_empty() {
            dims.clear();
        }
        if let Some(explicit) = explicit_dims {
            if items.is_empty() {
                return Err(malformed(
                    text,
                    "Specified array dimensions do not match array contents.",
                ));
            }
            if explicit.len() != dims.len()
                || explicit.iter().zip(&dims).any(|(e, d)| e.length != d.length)
            {
                return Err(malformed(
                    text,
                    "Specified array dimensions do not match array contents.",
                ));
            }
            dims = explicit;
        }
        let mut elements = Vec::with_capacity(items.len());
        for item in items {
            elements.push(match item {
                None => Value::Null,
                Some(s) => Value::parse_text(element_type, &s)?,
            });
        }
        Ok(Array { element_type: element_type.clone(), dims, elements })
    }

    // ---- binary form ----

    /// `array_send`: ndim, has-null flag, element type OID, (length, lower bound) per
    /// dimension, then each element as a length-prefixed binary value (-1 for NULL).
    pub fn write_binary(&self, out: &mut BytesMut) -> Result<(), SqlError> {
        out.put_i32(i32::try_from(self.dims.len()).unwrap_or(0));
        out.put_i32(i32::from(self.has_nulls()));
        out.put_u32(self.element_type.oid());
        for d in &self.dims {
            out.put_i32(d.length);
            out.put_i32(d.lower);
        }
        for element in &self.elements {
            if element.is_null() {
                out.put_i32(-1);
                continue;
            }
            let start = out.len();
            out.put_i32(0);
            element.write_binary(&self.element_type, out)?;
            let length = i32::try_from(out.len() - start - 4).map_err(|_| bad_binary())?;
            if let Some(slot) = out.get_mut(start..start + 4) {
                slot.copy_from_slice(&length.to_be_bytes());
            }
        }
        Ok(())
    }

    /// `array_recv` for an array of `element_type`.
    pub fn parse_binary(element_type: &DataType, bytes: &[u8]) -> Result<Array, SqlError> {
        let mut reader = BinaryReader { bytes, pos: 0 };
        let ndim = usize::try_from(reader.i32()?).map_err(|_| invalid_ndim())?;
        if ndim > MAX_DIMENSIONS {
            return Err(invalid_ndim());
        }
        let flags = reader.i32()?;
        if flags != 0 && flags != 1 {
            return Err(SqlError::new(
                sqlstate::INVALID_BINARY_REPRESENTATION,
                "invalid array flags",
            ));
        }
        let element_oid = reader.u32()?;
        if element_oid != element_type.oid() {
            return Err(SqlError::new(
                sqlstate::DATATYPE_MISMATCH,
                format!(
                    "binary data has array element type {element_oid} instead of expected {}",
                    element_type.oid()
                ),
            ));
        }
        let mut dims = Vec::with_capacity(ndim);
        let mut count: usize = 1;
        for _ in 0..ndim {
            let length = reader.i32()?;
            let lower = reader.i32()?;
            let n = usize::try_from(length).map_err(|_| bad_binary())?;
            count = count.checked_mul(n).ok_or_else(bad_binary)?;
            dims.push(ArrayDim { length, lower });
        }
        if ndim == 0 {
            count = 0;
        }
        // Every element takes at least its 4-byte length: refuse counts the bytes cannot hold.
        if count > bytes.len() / 4 {
            return Err(bad_binary());
        }
        let mut elements = Vec::with_capacity(count);
        for _ in 0..count {
            let length = reader.i32()?;
            if length == -1 {
                elements.push(Value::Null);
                continue;
            }
            let length = usize::try_from(length).map_err(|_| bad_binary())?;
            elements.push(Value::parse_binary(element_type, reader.take(length)?)?);
        }
        if reader.pos != bytes.len() {
            return Err(SqlError::new(
                sqlstate::INVALID_BINARY_REPRESENTATION,
                "incorrect binary data format in array",
            ));
        }
        if count == 0 {
            dims.clear();
        }
        Ok(Array { element_type: element_type.clone(), dims, elements })
    }

    // ---- order ----

    /// `array_cmp`: elements in order (NULLs equal to each other, after all values), then
    /// the element count, the number of dimensions, the lengths and lower bounds.
    pub fn array_cmp(&self, other: &Array) -> Ordering {
        for (a, b) in self.elements.iter().zip(&other.elements) {
            let order = a.sort_cmp(b);
            if order != Ordering::Equal {
                return order;
            }
        }
        self.elements
            .len()
            .cmp(&other.elements.len())
            .then_with(|| self.dims.len().cmp(&other.dims.len()))
            .then_with(|| {
                let key = |a: &Array| -> Vec<(i32, i32)> {
                    a.dims.iter().map(|d| (d.length, d.lower)).collect()
                };
                key(self).cmp(&key(other))
            })
    }

    /// Casts every element to `element_type`.
    pub fn cast_elements(
        &self,
        element_type: &DataType,
        explicit: bool,
    ) -> Result<Array, SqlError> {
        let elements = self
            .elements
            .iter()
            .map(|e| e.cast(element_type, explicit))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Array { element_type: element_type.clone(), dims: self.dims.clone(), elements })
    }

    /// Lower bound of dimension `dim` (1-based), if the array has it.
    pub fn lower(&self, dim: i64) -> Option<i32> {
        let index = usize::try_from(dim.checked_sub(1)?).ok()?;
        self.dims.get(index).map(|d| d.lower)
    }

    /// Length of dimension `dim` (1-based), if the array has it.
    pub fn length(&self, dim: i64) -> Option<i32> {
        let index = usize::try_from(dim.checked_sub(1)?).ok()?;
        self.dims.get(index).map(|d| d.length)
    }

    /// The element at PostgreSQL subscripts (one per dimension); `None` when out of range or
    /// when the number of subscripts is not the number of dimensions.
    pub fn element_at(&self, subscripts: &[i64]) -> Option<&Value> {
        if subscripts.len() != self.dims.len() {
            return None;
        }
        let mut offset: usize = 0;
        for (d, s) in self.dims.iter().zip(subscripts) {
            let index = s.checked_sub(i64::from(d.lower))?;
            if index < 0 || index >= i64::from(d.length) {
                return None;
            }
            offset = offset.checked_mul(usize::try_from(d.length).ok()?)?;
            offset = offset.checked_add(usize::try_from(index).ok()?)?;
        }
        self.elements.get(offset)
    }
}

fn invalid_ndim() -> SqlError {
    SqlError::new(sqlstate::INVALID_BINARY_REPRESENTATION, "invalid number of dimensions")
}

/// Writes one element of the text form, quoted when it would otherwise be ambiguous.
fn write_element<W: Write>(text: &str, out: &mut W) {
    let needs_quotes = text.is_empty()
        || text.eq_ignore_ascii_case("NULL")
        || text.chars().any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || is_array_space(c));
    if !needs_quotes {
        let _ = out.write_str(text);
        return;
    }
    let _ = out.write_char('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            let _ = out.write_char('\\');
        }
        let _ = out.write_char(c);
    }
    let _ = out.write_char('"');
}

/// The recursive-descent reader of `array_in`.
struct ArrayParser<'a> {
    text: &'a str,
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
}

impl ArrayParser<'_> {
    fn skip_spaces(&mut self) {
        while self.chars.peek().is_some_and(|(_, c)| is_array_space(*c)) {
            self.chars.next();
        }
    }

    fn integer(&mut self) -> Option<i32> {
        let mut digits = String::new();
        if let Some((_, c)) = self.chars.peek()
            && (*c == '-' || *c == '+')
        {
            digits.push(*c);
            self.chars.next();
        }
        while let Some((_, c)) = self.chars.peek()
            && c.is_ascii_digit()
        {
            digits.push(*c);
            self.chars.next();
        }
        digits.parse().ok()
    }

    /// `[lb:ub][lb:ub]=` before the braces, if present.
    fn dimension_decoration(&mut self) -> Result<Option<Vec<ArrayDim>>, SqlError> {
        if self.chars.peek().map(|(_, c)| *c) != Some('[') {
            return Ok(None);
        }
        let text = self.text;
        let mut dims = Vec::new();
        while self.chars.peek().map(|(_, c)| *c) == Some('[') {
            self.chars.next();
            let first = self.integer().ok_or_else(|| {
                malformed(text, "\"[\" must introduce explicitly-specified array dimensions.")
            })?;
            let (lower, upper) = if self.chars.peek().map(|(_, c)| *c) == Some(':') {
                self.chars.next();
                let upper = self
                    .integer()
                    .ok_or_else(|| malformed(text, "Missing array dimension value."))?;
                (first, upper)
            } else {
                (1, first)
            };
            if self.chars.next().map(|(_, c)| c) != Some(']') {
                return Err(malformed(text, "Missing \"]\" after array dimensions."));
            }
            if upper < lower {
                return Err(SqlError::new(
                    sqlstate::ARRAY_SUBSCRIPT_ERROR,
                    "upper bound cannot be less than lower bound",
                ));
            }
            let length = i32::try_from(i64::from(upper) - i64::from(lower) + 1)
                .map_err(|_| malformed(text, "Array dimension out of range."))?;
            dims.push(ArrayDim { length, lower });
            if dims.len() > MAX_DIMENSIONS {
                return Err(too_many_dimensions(dims.len()));
            }
        }
        self.skip_spaces();
        if self.chars.next().map(|(_, c)| c) != Some('=') {
            return Err(malformed(text, "Missing \"=\" after array dimensions."));
        }
        Ok(Some(dims))
    }

    /// Reads one `{...}` level, recording its length in `shape` (siblings must agree and
    /// every element must sit at the same depth); elements go to `items` in order (`None`
    /// for NULL).
    fn level(
        &mut self,
        level: usize,
        shape: &mut Shape,
        items: &mut Vec<Option<String>>,
    ) -> Result<(), SqlError> {
        let text = self.text;
        if level >= MAX_DIMENSIONS {
            return Err(too_many_dimensions(level + 1));
        }
        self.chars.next(); // the '{'
        let mut count = 0usize;
        let mut saw_sub = false;
        let mut saw_element = false;
        loop {
            self.skip_spaces();
            match self.chars.peek().map(|(_, c)| *c) {
                None => return Err(malformed(text, "Unexpected end of input.")),
                Some('}') if count == 0 => {
                    self.chars.next();
                    break;
                }
                Some('{') => {
                    if saw_element {
                        return Err(malformed(text, "Unexpected \"{\" character."));
                    }
                    saw_sub = true;
                    self.level(level + 1, shape, items)?;
                }
                Some(_) => {
                    if saw_sub {
                        return Err(malformed(text, "Unexpected array element."));
                    }
                    saw_element = true;
                    items.push(self.element()?);
                }
            }
            count += 1;
            self.skip_spaces();
            match self.chars.next().map(|(_, c)| c) {
                Some(',') => continue,
                Some('}') => break,
                Some(c) => {
                    return Err(malformed(text, &format!("Unexpected \"{c}\" character.")));
                }
                None => return Err(malformed(text, "Unexpected end of input.")),
            }
        }
        let mismatch = || {
            malformed(
                text,
                "Multidimensional arrays must have sub-arrays with matching dimensions.",
            )
        };
        if saw_element {
            match shape.leaf_level {
                Some(leaf) if leaf != level => return Err(mismatch()),
                _ => shape.leaf_level = Some(level),
            }
        }
        if shape.lengths.len() <= level {
            shape.lengths.resize(level + 1, None);
        }
        match shape.lengths.get_mut(level) {
            Some(Some(expected)) if *expected != count => return Err(mismatch()),
            Some(slot) => *slot = Some(count),
            None => return Err(mismatch()),
        }
        Ok(())
    }

    /// One element: quoted (`"a, b"` with backslash escapes) or bare (trimmed, `NULL` is a
    /// NULL element, backslashes escape).
    fn element(&mut self) -> Result<Option<String>, SqlError> {
        let text = self.text;
        let mut value = String::new();
        if self.chars.peek().map(|(_, c)| *c) == Some('"') {
            self.chars.next();
            loop {
                match self.chars.next().map(|(_, c)| c) {
                    None => return Err(malformed(text, "Unexpected end of input.")),
                    Some('\\') => match self.chars.next() {
                        Some((_, c)) => value.push(c),
                        None => return Err(malformed(text, "Unexpected end of input.")),
                    },
                    Some('"') => break,
                    Some(c) => value.push(c),
                }
            }
            return Ok(Some(value));
        }
        let mut escaped_any = false;
        let mut trailing_spaces = 0usize;
        while let Some(&(_, c)) = self.chars.peek() {
            match c {
                ',' | '}' => break,
                '{' | '"' => {
                    return Err(malformed(text, &format!("Unexpected \"{c}\" character.")));
                }
                '\\' => {
                    self.chars.next();
                    match self.chars.next() {
                        Some((_, escaped)) => value.push(escaped),
                        None => return Err(malformed(text, "Unexpected end of input.")),
                    }
                    escaped_any = true;
                    trailing_spaces = 0;
                    continue;
                }
                c if is_array_space(c) => trailing_spaces += c.len_utf8(),
                _ => trailing_spaces = 0,
            }
            value.push(c);
            self.chars.next();
        }
        value.truncate(value.len() - trailing_spaces.min(value.len()));
        if value.is_empty() {
            return Err(malformed(text, "Unexpected \",\" character."));
        }
        if !escaped_any && value.eq_ignore_ascii_case("NULL") {
            return Ok(None);
        }
        Ok(Some(value))
    }
}

/// What `array_in` has learnt of an array's shape: the length of each level and the level
/// the elements are at.
#[derive(Default)]
struct Shape {
    lengths: Vec<Option<usize>>,
    leaf_level: Option<usize>,
}

/// Bounds-checked big-endian reader for `array_recv`.
struct BinaryReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> BinaryReader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SqlError> {
        let end = self.pos.checked_add(n).ok_or_else(bad_binary)?;
        let slice = self.bytes.get(self.pos..end).ok_or_else(bad_binary)?;
        self.pos = end;
        Ok(slice)
    }

    fn i32(&mut self) -> Result<i32, SqlError> {
        let raw: [u8; 4] = self.take(4)?.try_into().map_err(|_| bad_binary())?;
        Ok(i32::from_be_bytes(raw))
    }

    fn u32(&mut self) -> Result<u32, SqlError> {
        let raw: [u8; 4] = self.take(4)?.try_into().map_err(|_| bad_binary())?;
        Ok(u32::from_be_bytes(raw))
    }
}
