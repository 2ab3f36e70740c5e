//! The syntax of DynamoDB's expressions, parsed into raw trees (names and
//! values not yet resolved, functions not yet checked).
//!
//! Condition grammar (DDB-DG "Condition and filter expressions, operators,
//! and functions", "Syntax for condition expressions"), with precedence
//! `NOT` > `AND` > `OR` ("Precedence in conditions": "NOT is evaluated
//! before AND. AND is evaluated before OR"):
//!
//! ```text
//! condition ::= operand comparator operand
//!             | operand BETWEEN operand AND operand
//!             | operand IN ( operand (, operand)* )
//!             | function
//!             | condition AND condition | condition OR condition
//!             | NOT condition | ( condition )
//! comparator ::= = | <> | < | <= | > | >=
//! operand ::= path | :value | function | ( operand )
//! ```
//!
//! Operands may be parenthesized too (dynalite's tests, recorded against
//! DynamoDB, accept `(a)between(b.c)and(:a)`), but doubled parentheses are
//! refused: "The expression has redundant parentheses;" (Alternator
//! `test_redundant_parentheses`, dynalite `scan.js`). A bare path or value
//! is not a condition: syntax error (Alternator
//! `test_update_condition_single_value_primitive_condition`).
//!
//! Update grammar (DDB-DG "Update expressions"): clauses `SET`, `REMOVE`,
//! `ADD`, `DELETE` in any order, each at most once, actions separated by
//! commas; `SET path = value [+|- value]` where a value is a path, a
//! `:value` or a function call (`if_not_exists(...)`, `list_append(...)`),
//! and `+`/`-` join exactly two values (Alternator
//! `test_update_expression_plus_basic`, `..._function_plus_nesting`).

use super::lexer::{Tok, Token, tokenize};
use super::{Check, MAX_DEPTH, MAX_IN_OPERANDS, MAX_OPERATORS};

/// One step of a path as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawElem {
    /// A literal name (to check against the reserved words).
    Name(String),
    /// `#name`.
    Ref(String),
    /// `[digits]`.
    Index(String),
}

/// A path as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RawPath(pub Vec<RawElem>);

/// The six comparators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// The comparator with its operands swapped (`:v < a` is `a > :v`).
    pub(crate) fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            other => other,
        }
    }
}

/// A parsed condition or operand.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Raw {
    Path(RawPath),
    Value(String),
    Call(String, Vec<Raw>),
    Cmp(CmpOp, Box<Raw>, Box<Raw>),
    Between(Box<Raw>, Box<Raw>, Box<Raw>),
    In(Box<Raw>, Vec<Raw>),
    And(Box<Raw>, Box<Raw>),
    Or(Box<Raw>, Box<Raw>),
    Not(Box<Raw>),
}

impl Raw {
    /// Whether this can stand where a condition is expected (a function
    /// call may; whether this one can is checked later).
    fn is_condition(&self) -> bool {
        !matches!(self, Raw::Path(_) | Raw::Value(_))
    }

    /// Whether this can stand where an operand is expected.
    fn is_operand(&self) -> bool {
        matches!(self, Raw::Path(_) | Raw::Value(_) | Raw::Call(..))
    }
}

/// A parsed update value: one operand, or two joined by `+` or `-`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RawSetValue {
    One(Raw),
    Plus(Raw, Raw),
    Minus(Raw, Raw),
}

/// A parsed update expression, clauses in the order written.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct RawUpdate {
    pub set: Vec<(RawPath, RawSetValue)>,
    pub remove: Vec<RawPath>,
    pub add: Vec<(RawPath, String)>,
    pub delete: Vec<(RawPath, String)>,
}

/// The parser: tokens, a position, and the nesting and operator counts.
pub(crate) struct Parser<'t> {
    text: &'t str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    operators: usize,
}

/// A parsed piece and whether it is exactly `( ... )` (to refuse doubled
/// parentheses).
struct Node {
    raw: Raw,
    parenthesized: bool,
}

impl Node {
    fn plain(raw: Raw) -> Node {
        Node {
            raw,
            parenthesized: false,
        }
    }
}

impl<'t> Parser<'t> {
    pub(crate) fn new(text: &'t str) -> Self {
        Self {
            text,
            tokens: tokenize(text),
            pos: 0,
            depth: 0,
            operators: 0,
        }
    }

    fn peek(&self) -> Token {
        self.peek_at(0)
    }

    fn peek_at(&self, ahead: usize) -> Token {
        let last = self.tokens.len().saturating_sub(1);
        self.tokens[(self.pos + ahead).min(last)]
    }

    fn text_of(&self, token: Token) -> &'t str {
        self.text.get(token.start..token.end).unwrap_or("")
    }

    fn advance(&mut self) -> Token {
        let token = self.peek();
        if token.kind != Tok::Eof {
            self.pos += 1;
        }
        token
    }

    /// Whether the next token is the symbol `sym`.
    fn at_sym(&self, sym: &str) -> bool {
        let t = self.peek();
        t.kind == Tok::Sym && self.text_of(t) == sym
    }

    /// Whether the next token is the keyword `word` (any case).
    fn at_keyword(&self, word: &str) -> bool {
        let t = self.peek();
        t.kind == Tok::Name && self.text_of(t).eq_ignore_ascii_case(word)
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        if self.at_sym(sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect_sym(&mut self, sym: &str) -> Check<()> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    /// AWS's syntax error at the next token: `Syntax error; token: "_",
    /// near: "SET _123"`, where "near" runs from the token before to the
    /// token after (Alternator `test_update_expression_name_token`); at the
    /// end of the text the token is `<EOF>`.
    pub(crate) fn syntax_error(&self) -> String {
        let token = self.peek();
        let from = if self.pos > 0 {
            self.tokens[self.pos - 1].start
        } else {
            token.start
        };
        let (shown, to) = if token.kind == Tok::Eof {
            ("<EOF>", self.text.len())
        } else {
            (self.text_of(token), self.peek_at(1).end.max(token.end))
        };
        let near = self.text.get(from..to).unwrap_or("");
        format!("Syntax error; token: \"{shown}\", near: \"{near}\"")
    }

    /// Counts one operator or function (at most 300).
    fn count_operator(&mut self) -> Check<()> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(format!(
                "The expression contains too many operators; operator count: {}",
                self.operators
            ));
        }
        Ok(())
    }

    /// Enters one level of nesting (parentheses, `NOT`, a function call).
    fn enter(&mut self) -> Check<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            // localcloud's own message: AWS refuses such text with
            // "redundant parentheses" or "too many operators" first.
            return Err("The expression is nested too deeply".into());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn expect_end(&self) -> Check<()> {
        if self.peek().kind == Tok::Eof {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    // ---- conditions ----------------------------------------------------

    /// A whole condition expression.
    pub(crate) fn condition(mut self) -> Check<Raw> {
        let node = self.or()?;
        if !node.raw.is_condition() {
            return Err(self.syntax_error());
        }
        self.expect_end()?;
        Ok(node.raw)
    }

    fn or(&mut self) -> Check<Node> {
        let mut left = self.and()?;
        while self.at_keyword("OR") {
            if !left.raw.is_condition() {
                return Err(self.syntax_error());
            }
            self.advance();
            self.count_operator()?;
            let right = self.and()?;
            if !right.raw.is_condition() {
                return Err(self.syntax_error());
            }
            left = Node::plain(Raw::Or(Box::new(left.raw), Box::new(right.raw)));
        }
        Ok(left)
    }

    fn and(&mut self) -> Check<Node> {
        let mut left = self.not()?;
        while self.at_keyword("AND") {
            if !left.raw.is_condition() {
                return Err(self.syntax_error());
            }
            self.advance();
            self.count_operator()?;
            let right = self.not()?;
            if !right.raw.is_condition() {
                return Err(self.syntax_error());
            }
            left = Node::plain(Raw::And(Box::new(left.raw), Box::new(right.raw)));
        }
        Ok(left)
    }

    fn not(&mut self) -> Check<Node> {
        if self.at_keyword("NOT") {
            self.advance();
            self.count_operator()?;
            self.enter()?;
            let inner = self.not()?;
            self.leave();
            if !inner.raw.is_condition() {
                return Err(self.syntax_error());
            }
            return Ok(Node::plain(Raw::Not(Box::new(inner.raw))));
        }
        self.comparison()
    }

    /// An operand, then perhaps a comparator, `BETWEEN` or `IN`.
    fn comparison(&mut self) -> Check<Node> {
        let left = self.atom()?;
        let t = self.peek();
        let op = match (t.kind, self.text_of(t)) {
            (Tok::Sym, "=") => Some(CmpOp::Eq),
            (Tok::Sym, "<>") => Some(CmpOp::Ne),
            (Tok::Sym, "<") => Some(CmpOp::Lt),
            (Tok::Sym, "<=") => Some(CmpOp::Le),
            (Tok::Sym, ">") => Some(CmpOp::Gt),
            (Tok::Sym, ">=") => Some(CmpOp::Ge),
            _ => None,
        };
        let is_between = self.at_keyword("BETWEEN");
        let is_in = self.at_keyword("IN");
        if op.is_none() && !is_between && !is_in {
            return Ok(left);
        }
        if !left.raw.is_operand() {
            return Err(self.syntax_error());
        }
        self.advance();
        self.count_operator()?;
        let left = Box::new(left.raw);
        let raw = if let Some(op) = op {
            Raw::Cmp(op, left, Box::new(self.operand()?))
        } else if is_between {
            let low = self.operand()?;
            if !self.at_keyword("AND") {
                return Err(self.syntax_error());
            }
            self.advance();
            let high = self.operand()?;
            Raw::Between(left, Box::new(low), Box::new(high))
        } else {
            self.expect_sym("(")?;
            let mut list = vec![self.operand()?];
            while self.eat_sym(",") {
                list.push(self.operand()?);
            }
            self.expect_sym(")")?;
            if list.len() + 1 > MAX_IN_OPERANDS {
                return Err(format!(
                    "Incorrect number of operands for operator or function; operator or function: IN, number of operands: {}",
                    list.len() + 1
                ));
            }
            Raw::In(left, list)
        };
        Ok(Node::plain(raw))
    }

    /// An operand (an atom that is not a condition).
    fn operand(&mut self) -> Check<Raw> {
        let node = self.atom()?;
        if !node.raw.is_operand() {
            return Err(self.syntax_error());
        }
        Ok(node.raw)
    }

    /// `( condition-or-operand )`, a path, a `:value` or a function call.
    fn atom(&mut self) -> Check<Node> {
        let t = self.peek();
        if self.at_sym("(") {
            self.advance();
            self.enter()?;
            let inner = self.or()?;
            self.expect_sym(")")?;
            self.leave();
            if inner.parenthesized {
                return Err("The expression has redundant parentheses;".into());
            }
            return Ok(Node {
                raw: inner.raw,
                parenthesized: true,
            });
        }
        match t.kind {
            Tok::ValueRef => {
                self.advance();
                Ok(Node::plain(Raw::Value(self.text_of(t).to_owned())))
            }
            Tok::Name
                if self.peek_at(1).kind == Tok::Sym && self.text_of(self.peek_at(1)) == "(" =>
            {
                Ok(Node::plain(self.call(Self::call_arg)?))
            }
            Tok::Name | Tok::NameRef => Ok(Node::plain(Raw::Path(self.path()?))),
            _ => Err(self.syntax_error()),
        }
    }

    fn call_arg(&mut self) -> Check<Raw> {
        self.operand()
    }

    /// `name ( arg (, arg)* )`, each argument read by `arg`.
    fn call(&mut self, arg: fn(&mut Self) -> Check<Raw>) -> Check<Raw> {
        let token = self.advance();
        let name = self.text_of(token).to_owned();
        self.expect_sym("(")?;
        self.count_operator()?;
        self.enter()?;
        let mut args = vec![arg(self)?];
        while self.eat_sym(",") {
            args.push(arg(self)?);
        }
        self.expect_sym(")")?;
        self.leave();
        Ok(Raw::Call(name, args))
    }

    /// A document path: a name or `#name`, then `.name`, `.#name`, `[n]`.
    pub(crate) fn path(&mut self) -> Check<RawPath> {
        let mut elems = vec![self.path_name()?];
        loop {
            if self.eat_sym(".") {
                elems.push(self.path_name()?);
            } else if self.eat_sym("[") {
                let t = self.peek();
                if t.kind != Tok::Number {
                    return Err(self.syntax_error());
                }
                self.advance();
                elems.push(RawElem::Index(self.text_of(t).to_owned()));
                self.expect_sym("]")?;
            } else {
                return Ok(RawPath(elems));
            }
        }
    }

    fn path_name(&mut self) -> Check<RawElem> {
        let t = self.peek();
        let elem = match t.kind {
            Tok::Name => RawElem::Name(self.text_of(t).to_owned()),
            Tok::NameRef => RawElem::Ref(self.text_of(t).to_owned()),
            _ => return Err(self.syntax_error()),
        };
        self.advance();
        Ok(elem)
    }

    // ---- update expressions ----------------------------------------------

    /// A whole update expression.
    pub(crate) fn update(mut self) -> Check<RawUpdate> {
        let mut update = RawUpdate::default();
        let mut seen: Vec<&'static str> = Vec::new();
        loop {
            let clause = ["SET", "REMOVE", "ADD", "DELETE"]
                .into_iter()
                .find(|k| self.at_keyword(k));
            let Some(clause) = clause else {
                return Err(self.syntax_error());
            };
            if seen.contains(&clause) {
                // dynalite `updateItem.js`, as DynamoDB words it.
                return Err(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                ));
            }
            seen.push(clause);
            self.advance();
            loop {
                match clause {
                    "SET" => {
                        let path = self.path()?;
                        self.expect_sym("=")?;
                        let value = self.set_value()?;
                        update.set.push((path, value));
                    }
                    "REMOVE" => update.remove.push(self.path()?),
                    _ => {
                        let path = self.path()?;
                        let t = self.peek();
                        if t.kind != Tok::ValueRef {
                            return Err(self.syntax_error());
                        }
                        self.advance();
                        let value = self.text_of(t).to_owned();
                        if clause == "ADD" {
                            update.add.push((path, value));
                        } else {
                            update.delete.push((path, value));
                        }
                    }
                }
                if !self.eat_sym(",") {
                    break;
                }
            }
            if self.peek().kind == Tok::Eof {
                return Ok(update);
            }
        }
    }

    /// `value [+|- value]`.
    fn set_value(&mut self) -> Check<RawSetValue> {
        let left = self.update_operand()?;
        if self.eat_sym("+") {
            self.count_operator()?;
            Ok(RawSetValue::Plus(left, self.update_operand()?))
        } else if self.eat_sym("-") {
            self.count_operator()?;
            Ok(RawSetValue::Minus(left, self.update_operand()?))
        } else {
            Ok(RawSetValue::One(left))
        }
    }

    /// A path, a `:value` or a function call whose arguments are the same.
    fn update_operand(&mut self) -> Check<Raw> {
        let t = self.peek();
        match t.kind {
            Tok::ValueRef => {
                self.advance();
                Ok(Raw::Value(self.text_of(t).to_owned()))
            }
            Tok::Name
                if self.peek_at(1).kind == Tok::Sym && self.text_of(self.peek_at(1)) == "(" =>
            {
                self.call(Self::update_operand)
            }
            Tok::Name | Tok::NameRef => Ok(Raw::Path(self.path()?)),
            _ => Err(self.syntax_error()),
        }
    }

    // ---- projection expressions ----------------------------------------

    /// `path (, path)*`.
    pub(crate) fn projection(mut self) -> Check<Vec<RawPath>> {
        let mut paths = vec![self.path()?];
        while self.eat_sym(",") {
            paths.push(self.path()?);
        }
        self.expect_end()?;
        Ok(paths)
    }
}
