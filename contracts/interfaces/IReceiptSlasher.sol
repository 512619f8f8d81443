// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IReceiptSlasher
/// @notice Slashing on objective evidence, by anyone: a runner whose key signed two receipts for the same work
/// (model, shard, session, positions, params and input) with different outputs has equivocated, since equal
/// params and input cannot honestly give different outputs. Whoever submits both signed receipts has that
/// runner slashed and is paid `reporterShareBps` of the slash; the rest goes to the treasury.
/// @dev Receipts are EIP-712 typed data in the domain name "TeeTee Receipt", version "1", this chain, and
/// verifyingContract = the deployment's RunnerRegistry (not this contract), as the SDK's receipts module signs
/// them (field order fixed by that type, hence no repacking):
/// Receipt(bytes32 modelId,uint16 shardIndex,bytes16 sessionId,uint32 positionStart,uint32 positionCount,
///   bytes32 paramsHash,bytes32 inputHash,bytes32 outputHash,bytes32 previousReceipt,uint64 issuedAt)
/// The evidence hash of a pair is keccak256(abi.encode(lower digest, higher digest)), so either order is the
/// same evidence. Slash amount: the runner's stake lock, and at least the model's current minimum stake (taken
/// from the contributor's free, then unbonding stake when the lock is short), so a runner deactivated after
/// equivocating is still slashed while its stake unbonds. One slash per registration of a runner: the penalty is
/// the stake the contributor put at risk for it, and more pairs from a key already shown to equivocate add
/// nothing (they would only let whoever holds that key drain the contributor's other, free, stake). A runner
/// registered again after a slash can be slashed again, with a pair not used before.
/// Both receipts must be dated (`issuedAt`) within a registration of the runner for their model and shard, give or
/// take `RECEIPT_CLOCK_SKEW_SECONDS` (`IRunnerRegistry.findRegistrationPeriodWithin`), current or past: a runner that
/// moved to another shard or registered again still answers, with its contributor's current lock, for what it signed
/// before. The registration charged is the one the later receipt was signed in.
/// Why a tolerance: `issuedAt` comes from the signer's clock, registrations from block times. Without one, a runner
/// could date its receipts ahead, deactivate before that date and leave its equivocation unslashable; and an honest
/// runner's receipt from the seconds around its registration block, its clock a little apart from the chain's, would
/// be refused. The SDK's `verifyReceipts` uses the same rule and refuses receipts dated more than the tolerance after
/// the latest block, so a date can stray that far from the chain's and no further.
/// Divergence found by re-execution is not objective on-chain: it goes to the SLASHER_ROLE holders, who call
/// `IStaking.slash` with the evidence bundle's hash (in its `Slashed` event).
interface IReceiptSlasher {
    /// @notice What a runner signs per request it served (the SDK's `receipts/receipt.ts` explains each field).
    /// @param modelId the model
    /// @param shardIndex the shard the runner serves
    /// @param sessionId the request's session
    /// @param positionStart the first position the receipt covers
    /// @param positionCount how many positions it covers
    /// @param paramsHash what besides the inputs decides the outputs (sampling, dtype, frame boundaries)
    /// @param inputHash digest of the positions read
    /// @param outputHash digest of the positions written
    /// @param previousReceipt the previous runner's receipt digest (zero on shard 0)
    /// @param issuedAt unix seconds when the runner signed
    struct Receipt {
        bytes32 modelId;
        uint16 shardIndex;
        bytes16 sessionId;
        uint32 positionStart;
        uint32 positionCount;
        bytes32 paramsHash;
        bytes32 inputHash;
        bytes32 outputHash;
        bytes32 previousReceipt;
        uint64 issuedAt;
    }

    /// @notice Runner `runner` of contributor `contributor` signed two outputs for the same work; `reporter`
    /// proved it and was paid `reward` of the `slashed` stake, the treasury `toTreasury`.
    /// @param runner the runner whose key signed both receipts
    /// @param contributor whose stake was slashed
    /// @param reporter who submitted the receipts
    /// @param slashed payment-token base units taken
    /// @param reward the reporter's part, sent to it
    /// @param toTreasury the rest, credited to the treasury
    /// @param firstDigest EIP-712 digest of the first receipt submitted
    /// @param secondDigest EIP-712 digest of the second receipt submitted
    event EquivocationSlashed(
        address indexed runner,
        address indexed contributor,
        address indexed reporter,
        uint256 slashed,
        uint256 reward,
        uint256 toTreasury,
        bytes32 firstDigest,
        bytes32 secondDigest
    );

    /// @notice The receipts are for different models (`first`, `second`): not the same work.
    /// @param first the first receipt's model
    /// @param second the second receipt's model
    error ReceiptSlasherModelMismatch(bytes32 first, bytes32 second);
    /// @notice The receipts are for different shards (`first`, `second`): not the same work.
    /// @param first the first receipt's shard
    /// @param second the second receipt's shard
    error ReceiptSlasherShardMismatch(uint16 first, uint16 second);
    /// @notice The receipts are for different sessions (`first`, `second`): not the same work.
    /// @param first the first receipt's session
    /// @param second the second receipt's session
    error ReceiptSlasherSessionMismatch(bytes16 first, bytes16 second);
    /// @notice The receipts cover different positions (`firstStart` + `firstCount`, `secondStart` +
    /// `secondCount`): not the same work.
    /// @param firstStart the first receipt's first position
    /// @param firstCount the first receipt's position count
    /// @param secondStart the second receipt's first position
    /// @param secondCount the second receipt's position count
    error ReceiptSlasherPositionsMismatch(uint32 firstStart, uint32 firstCount, uint32 secondStart, uint32 secondCount);
    /// @notice The receipts were made with different params (`first`, `second`), which may honestly change the
    /// output.
    /// @param first the first receipt's params hash
    /// @param second the second receipt's params hash
    error ReceiptSlasherParamsMismatch(bytes32 first, bytes32 second);
    /// @notice The receipts read different inputs (`first`, `second`), so their outputs may honestly differ.
    /// @param first the first receipt's input hash
    /// @param second the second receipt's input hash
    error ReceiptSlasherInputMismatch(bytes32 first, bytes32 second);
    /// @notice Both receipts give the same output `outputHash`: no equivocation.
    /// @param outputHash the output both receipts sign
    error ReceiptSlasherSameOutput(bytes32 outputHash);
    /// @notice The signature over receipt digest `digest` is malformed, malleable (high s) or recovers to no one.
    /// @param digest the receipt's EIP-712 digest
    error ReceiptSlasherInvalidSignature(bytes32 digest);
    /// @notice The receipts were signed by two keys (`first`, `second`); equivocation needs one runner's two.
    /// @param first the first receipt's signer
    /// @param second the second receipt's signer
    error ReceiptSlasherSignerMismatch(address first, address second);
    /// @notice `signer`, who signed both receipts, is not a registered runner.
    /// @param signer the address both signatures recover to
    error ReceiptSlasherNotARunner(address signer);
    /// @notice Runner `runner` was never registered for shard `shardIndex` of model `modelId`, which the receipts
    /// name.
    /// @param runner the signer
    /// @param modelId the receipts' model
    /// @param shardIndex the receipts' shard
    error ReceiptSlasherRunnerNotOnShard(address runner, bytes32 modelId, uint16 shardIndex);
    /// @notice Runner `runner` signed a receipt dated `issuedAt` for shard `shardIndex` of model `modelId` while not
    /// registered for it (before, between or after its registrations there): no stake of that shard vouched for it.
    /// @param runner the signer
    /// @param modelId the receipts' model
    /// @param shardIndex the receipts' shard
    /// @param issuedAt the receipt's date (unix seconds)
    error ReceiptSlasherSignedOutsideRegistration(address runner, bytes32 modelId, uint16 shardIndex, uint64 issuedAt);
    /// @notice This pair of receipts (evidence `evidenceHash`) was already used to slash.
    /// @param evidenceHash keccak256 of the two digests, lower first
    error ReceiptSlasherEvidenceUsed(bytes32 evidenceHash);
    /// @notice Runner `runner` was already slashed for equivocation in its registration of `registeredAt`.
    /// @param runner the runner
    /// @param registeredAt when that registration was made (unix seconds)
    error ReceiptSlasherAlreadySlashed(address runner, uint64 registeredAt);
    /// @notice Contributor `contributor` of runner `runner` has no stake left to slash.
    /// @param runner the runner
    /// @param contributor its contributor
    error ReceiptSlasherNothingToSlash(address runner, address contributor);
    /// @notice A reporter share of `bps` basis points exceeds the maximum of `max`.
    /// @param bps the share given
    /// @param max the largest allowed
    error ReceiptSlasherReporterShareTooHigh(uint256 bps, uint256 max);
    /// @notice An address cannot be zero.
    error ReceiptSlasherZeroAddress();

    /// @notice Slashes the runner whose key signed both receipts for the same work with different outputs, and
    /// pays the caller `reporterShareBps` of it. Anyone may call.
    /// @param first a receipt
    /// @param firstSignature its runner's 65-byte signature over `receiptDigest(first)`
    /// @param second a receipt for the same model, shard, session, positions, params and input, another output
    /// @param secondSignature the same runner's signature over `receiptDigest(second)`
    /// @return slashed payment-token base units taken from the runner's contributor
    /// @return reward the part sent to the caller
    function reportEquivocation(
        Receipt calldata first,
        bytes calldata firstSignature,
        Receipt calldata second,
        bytes calldata secondSignature
    ) external returns (uint256 slashed, uint256 reward);

    /// @notice A receipt's EIP-712 digest, what its runner signs (the SDK's `hashReceipt`).
    function receiptDigest(Receipt calldata receipt) external view returns (bytes32);

    /// @notice The evidence hash of two receipt digests, the same in either order.
    function evidenceHash(bytes32 firstDigest, bytes32 secondDigest) external pure returns (bytes32);

    /// @notice Whether the pair hashing to `evidenceHash_` was already used to slash.
    function isEvidenceUsed(bytes32 evidenceHash_) external view returns (bool);

    /// @notice What an equivocation report against `runner` would ask to slash now: its lock, at least the
    /// model's minimum stake. Reverts with `ReceiptSlasherNotARunner` for an unknown runner.
    function slashAmount(address runner) external view returns (uint256);

    /// @notice The reporter's part of each slash, in basis points; fixed at deployment.
    function reporterShareBps() external view returns (uint256);

    /// @notice The largest reporter share a deployment may set: 5,000 (half), so a contributor reporting its own
    /// runner always loses at least half the slash.
    function MAX_REPORTER_SHARE_BPS() external view returns (uint256);

    /// @notice How far, in seconds, a receipt's `issuedAt` may lie outside its runner's registration and still count
    /// as signed in it: 300 (five minutes), the SDK's `RECEIPT_CLOCK_SKEW_SECONDS`. Wide enough for clocks kept by NTP
    /// and for block times (a proposer may set a timestamp some seconds off; an idle development chain's latest block
    /// may lag the wall), narrow enough that a runner gains at most five minutes of unstaked signing by its dates.
    function RECEIPT_CLOCK_SKEW_SECONDS() external view returns (uint64);

    /// @notice The EIP-712 domain separator of receipts on this chain (verifyingContract: the runner registry).
    function receiptDomainSeparator() external view returns (bytes32);

    /// @notice The RunnerRegistry whose runners' receipts this contract judges.
    function runnerRegistry() external view returns (address);

    /// @notice The Staking contract it slashes through (holding its SLASHER_ROLE).
    function staking() external view returns (address);

    /// @notice The ModelRegistry it reads minimum stakes from.
    function modelRegistry() external view returns (address);
}
