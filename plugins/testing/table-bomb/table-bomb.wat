;; `table-bomb`: a plugin that grows a table without end, for the host's tests. Not a built-in.
;;
;; A table's elements live in the host's memory, not in the plugin's linear memory, so a cap on
;; linear memory alone would let this plugin take gigabytes. `describe` (the first call a host
;; makes) grows the table by a million function references at a time until the host stops it;
;; every other export traps. Written by hand because Rust has no way to emit `table.grow`;
;; plugins/build embeds the WIT world and makes it a component (sluice-componentize --wat).
(module
  (memory (export "memory") 1)
  (table $bomb 1 funcref)

  (func (export "sluice:plugin/transform@0.7.0#describe") (result i32)
    (loop $grow
      (br_if $grow
        (i32.ne
          (table.grow $bomb (ref.null func) (i32.const 1048576))
          (i32.const -1))))
    ;; The host refused a growth without trapping: that is a hole too.
    unreachable)

  (func (export "sluice:plugin/transform@0.7.0#last-error") (param i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[static]stage.create")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[method]stage.reach") (param i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[method]stage.tally") (param i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[method]stage.absorb")
    (param i32 i32 i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[method]stage.carry") (param i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[method]stage.resume")
    (param i32 i32 i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[method]stage.process") (param i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[method]stage.tick") (param i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[method]stage.finish") (param i32) (result i32)
    unreachable)
  (func (export "sluice:plugin/transform@0.7.0#[dtor]stage") (param i32))

  ;; The canonical ABI's allocator: a bump allocator over the one page (nothing is called that
  ;; would use it; it must exist for the exports that take strings and lists).
  (global $next (mut i32) (i32.const 16))
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $at i32)
    (local.set $at
      (i32.and
        (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
        (i32.sub (i32.const 0) (local.get 2))))
    (global.set $next (i32.add (local.get $at) (local.get 3)))
    (if (i32.gt_u (global.get $next) (i32.const 65536)) (then unreachable))
    (local.get $at))
)
