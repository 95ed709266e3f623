# chainmeter's counter for Solana, in sBPF assembly: a program chainmeter
# has no code for, called only through the generic `program` workload.
#
# Adds the instruction's amount to a total kept in an account the program
# owns, and counts the calls that added.
#
# Instruction data, little-endian, at least 8 bytes (more are ignored, so a
# caller may append a sequence number to keep its transactions distinct):
#   0..8   amount  u64: added to the total; 0 is refused
# Accounts: exactly one, the counter: writable, owned by this program, 16
# bytes of data (zero in a new account):
#   0..8   total   u64: the sum of the amounts added
#   8..16  calls   u64: the calls that added
# Errors (custom program error codes), each logged first:
#   1 not one account of 16 bytes   2 data under 8 bytes
#   3 amount is zero                4 counter not writable
#   5 total overflows
#
# Assembled by scripts/assemble-programs.sh (sbpf 0.3.3 from crates.io);
# counter.so beside this file is its output, checked by the test script.

# The loader's input (agave's program-runtime serialization, aligned) with
# one account of 16 bytes: the account count; the account's duplicate
# marker, signer, writable and executable flags and 4 bytes of padding, its
# key, owner, lamports, data length, data, 10 KiB of room to grow (aligned
# to 8) and rent epoch; then the instruction data's length and bytes.
.equ NUM_ACCOUNTS, 0x0000
.equ COUNTER_WRITABLE, 0x000a
.equ COUNTER_DATA_LEN, 0x0058
.equ TOTAL, 0x0060
.equ CALLS, 0x0068
.equ COUNTER_SIZE, 16
.equ IX_LEN, 0x2878
.equ IX_DATA, 0x2880

.globl entrypoint
entrypoint:
  ldxdw r2, [r1 + NUM_ACCOUNTS]
  jne r2, 1, error_accounts
  ldxdw r2, [r1 + COUNTER_DATA_LEN]
  jne r2, COUNTER_SIZE, error_accounts
  ldxdw r2, [r1 + IX_LEN]
  jlt r2, 8, error_data
  ldxdw r3, [r1 + IX_DATA]
  jeq r3, 0, error_zero
  ldxb r2, [r1 + COUNTER_WRITABLE]
  jeq r2, 0, error_read_only
  ldxdw r4, [r1 + TOTAL]
  mov64 r5, r4
  add64 r5, r3
  jlt r5, r4, error_overflow
  stxdw [r1 + TOTAL], r5
  ldxdw r4, [r1 + CALLS]
  add64 r4, 1
  stxdw [r1 + CALLS], r4
  mov64 r0, 0
  exit

error_accounts:
  lddw r1, message_accounts
  mov64 r2, 45
  call sol_log_
  mov64 r0, 1
  exit
error_data:
  lddw r1, message_data
  mov64 r2, 39
  call sol_log_
  mov64 r0, 2
  exit
error_zero:
  lddw r1, message_zero
  mov64 r2, 23
  call sol_log_
  mov64 r0, 3
  exit
error_read_only:
  lddw r1, message_read_only
  mov64 r2, 32
  call sol_log_
  mov64 r0, 4
  exit
error_overflow:
  lddw r1, message_overflow
  mov64 r2, 30
  call sol_log_
  mov64 r0, 5
  exit

.rodata
  message_accounts: .ascii "counter: give one counter account of 16 bytes"
  message_data: .ascii "counter: instruction data under 8 bytes"
  message_zero: .ascii "counter: amount is zero"
  message_read_only: .ascii "counter: counter is not writable"
  message_overflow: .ascii "counter: total overflows a u64"
