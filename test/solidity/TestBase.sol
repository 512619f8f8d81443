// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ModelRegistry} from "../../contracts/ModelRegistry.sol";
import {PaymentEscrow} from "../../contracts/PaymentEscrow.sol";
import {RunnerRegistry} from "../../contracts/RunnerRegistry.sol";
import {Staking} from "../../contracts/Staking.sol";
import {IModelRegistry} from "../../contracts/interfaces/IModelRegistry.sol";
import {IPaymentEscrow} from "../../contracts/interfaces/IPaymentEscrow.sol";
import {IRunnerRegistry} from "../../contracts/interfaces/IRunnerRegistry.sol";
import {TestToken} from "../../contracts/mocks/TestToken.sol";

/// @notice The few cheatcodes these tests use (no forge-std here, see shared/TOOLCHAIN.md).
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
    function expectRevert(bytes calldata revertData) external;
    function expectRevert(bytes4 selector) external;
    function expectRevert() external;
    function assume(bool condition) external pure;
    function expectEmit(address emitter) external;
}

/// @notice Deploys the market (token, models, staking, runners, escrow) and offers the steps tests repeat.
abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    address internal constant TREASURY = address(0x7EA5);
    address internal constant CURATOR = address(0xC0C0);
    uint16 internal constant FEE_BPS = 500;
    uint64 internal constant UNBONDING = 7 days;
    uint64 internal constant THAW = 1 days;
    uint48 internal constant ADMIN_DELAY = 2 days;
    uint128 internal constant MIN_STAKE = 1_000e6;
    bytes32 internal constant MODEL = keccak256("model-a");
    bytes32 internal constant COMPOSE = keccak256("compose-a");
    bytes32 internal constant OS_IMAGE = keccak256("os-image-a");
    uint8 internal constant SHARDS = 4;

    TestToken internal token;
    ModelRegistry internal models;
    Staking internal staking;
    RunnerRegistry internal runners;
    PaymentEscrow internal escrow;

    function _deploy() internal {
        vm.warp(1_700_000_000);
        token = new TestToken();
        models = new ModelRegistry(address(this), ADMIN_DELAY, FEE_BPS);
        staking = new Staking(token, address(this), ADMIN_DELAY, TREASURY, UNBONDING);
        runners = new RunnerRegistry(models, staking, address(this), ADMIN_DELAY);
        escrow = new PaymentEscrow(token, models, runners, address(this), ADMIN_DELAY, TREASURY, THAW);
        staking.grantRole(staking.LOCKER_ROLE(), address(runners));
        staking.grantRole(staking.SLASHER_ROLE(), address(this));
        models.grantRole(models.CURATOR_ROLE(), CURATOR);
    }

    /// @dev A model of `shardCount` equal shards over 8 layers each, shares summing with the fee to 10,000.
    function _modelParams(bytes32 modelId, uint8 shardCount) internal pure returns (IModelRegistry.ModelParams memory p) {
        p.modelId = modelId;
        p.tokenizerHash = keccak256("tokenizer");
        p.numLayers = uint32(shardCount) * 8;
        p.inputPricePerMTok = 1e6;
        p.outputPricePerMTok = 2e6;
        p.minStake = MIN_STAKE;
        p.attestationTtl = 1 days;
        p.shards = new IModelRegistry.Shard[](shardCount);
        uint256 left = 10_000 - FEE_BPS;
        for (uint256 i; i < shardCount; ++i) {
            uint16 share = i + 1 == shardCount ? uint16(left) : uint16((10_000 - FEE_BPS) / shardCount);
            left -= share;
            p.shards[i] = IModelRegistry.Shard({
                firstLayer: uint32(i) * 8,
                endLayer: uint32(i + 1) * 8,
                weightsHash: keccak256(abi.encode(modelId, i)),
                shareBps: share
            });
        }
        p.composeHashes = new bytes32[](1);
        p.composeHashes[0] = COMPOSE;
        p.osImages = new bytes32[](1);
        p.osImages[0] = OS_IMAGE;
    }

    function _registerModel(bytes32 modelId, uint8 shardCount) internal {
        vm.prank(CURATOR);
        models.registerModel(_modelParams(modelId, shardCount));
    }

    function _mintAndApprove(address who, address spender, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(spender, type(uint256).max);
    }

    function _stake(address contributor, uint256 amount) internal {
        _mintAndApprove(contributor, address(staking), amount);
        vm.prank(contributor);
        staking.stake(amount);
    }

    function _registration(uint256 runnerKey, bytes32 modelId, uint16 shard)
        internal
        view
        returns (IRunnerRegistry.Registration memory reg)
    {
        reg = IRunnerRegistry.Registration({
            runner: vm.addr(runnerKey),
            modelId: modelId,
            shardIndex: shard,
            endpoint: "https://runner.example",
            publicKey: _publicKey(runnerKey),
            quoteHash: keccak256(abi.encode("quote", runnerKey)),
            composeHash: COMPOSE,
            osImage: OS_IMAGE,
            deadline: block.timestamp + 1 hours
        });
    }

    function _consent(uint256 runnerKey, IRunnerRegistry.Registration memory reg, address contributor)
        internal
        view
        returns (bytes memory)
    {
        bytes32 digest = runners.registrationDigest(reg, contributor, runners.runnerNonce(reg.runner));
        return _sign(runnerKey, digest);
    }

    /// @dev Registers runner `runnerKey` for `contributor`, who must already have free stake.
    function _registerRunner(uint256 runnerKey, address contributor, bytes32 modelId, uint16 shard)
        internal
        returns (address runner)
    {
        IRunnerRegistry.Registration memory reg = _registration(runnerKey, modelId, shard);
        bytes memory consent = _consent(runnerKey, reg, contributor);
        vm.prank(contributor);
        runners.registerRunner(reg, "", consent);
        return reg.runner;
    }

    /// @dev Uncompressed secp256k1 public keys (no 0x04 prefix) of the runner keys tests use: Hardhat has no
    /// createWallet cheatcode, so they were computed once with ethers' SigningKey.
    function _publicKey(uint256 key) internal pure returns (bytes memory) {
        if (key == 0xA000) return hex"f006c42f1d8e4f751df82efee099522c356929d1fd665411f5e91b77a547b4b3f68154d4a666520a5c47848a4e4f7d1675c933eed6be7ae1b5ef449fa86aa74b";
        if (key == 0xA001) return hex"c493d860b9a2db32479513a711462c910ace80e11289642cf507cbc1824df1ea01f4cf358efe9152102aae4ca3c888ea229deeb4c7a7364e4ae32705e94e16f1";
        if (key == 0xA002) return hex"d162dcd258847660792cbcdeecaea49a5f6003ea4441384e01a3d29aea505f5db7e2904693b9af2e3b0f799f531548dfb96f7a548b94907c20f65a85086f8dba";
        if (key == 0xA003) return hex"2306264321360d2274055b9bcfa4125f3cda125159e63d8573e5abe8d56ac2aa0bd2692d089ce765c02647882211e0331b030dfcad6f4b68a0692dd4846bda4b";
        if (key == 0xA004) return hex"29d0c3609c7bcb77a8c90375cf406b1d3427d9a22b30a2dba62bb5c68087f68dab6174cf49a59aae94c6075afcfeb754b68696051b25eb677fc23bcc4c3d2ec9";
        if (key == 0xA005) return hex"bb3be44e5fb57cb3316c0f26647fff5262070ca5e7586bbe8f590bb02f65733d9a2f41784b70f1cc2159f7cd8ff4ea50bd8fd3a798d22e9cdc998d0705da5000";
        if (key == 0xA006) return hex"5d131dac118f0cff8f5b2b1d6a1388bd2fd5a4fcf5f6f74ad424d3e9eed4f870df95b0886c0c79be591af7b8983deb911cb46adc69d47a8d4f229183f8a714d4";
        if (key == 0xA007) return hex"1c8a155406e55e20cfbb9d430aa259686d943202ff2044ded5a77a4e218d0d3ec5cebc8f80c096dd214c0658f5c7ef1428ab11e83a2d5bb3281f89b8493b836e";
        if (key == 0xA008) return hex"47e521fec0f16e37cc1bb95caebada78d35b7c77bdff85e380a3f8c7cd8ebf4837ca4ca19790f9249bfa82bfb7fa4384451f9854bf985bb4952938c3562fc25e";
        if (key == 0xA009) return hex"05b9892d41e3f7bd8954cb55eb4cdc3c7270d18cb6465f48e67af186207f0650d3ec34302c0f4c0638b60faaf673bb42ac9e9eba09ce325747b9edf301402474";
        if (key == 0xA00A) return hex"24a521c54fc6c1f1445e31fe226eae11250ef39b8621b3543a03c8dfe1f1cbc7751706fe234e399d2da6acca46221730f9d1b063a4ab88844e2e3e75e7b77fe9";
        if (key == 0xA00B) return hex"31ae9b5a6a227b258517889d4e3865092090bc048d22da359ed05ec268d4074cabcf4256d4724dfa88d3f86092f1a6b41c21615d2a92ce2c817e4287bb85096c";
        if (key == 0xA00C) return hex"c24378ec46a276b8dff98d9f59c1bc478d47329e36a600a4fd74fceda056a11c49fce0ed8e0b72cb3628c41431284a578c54701dab95720217fd1141730b6cf8";
        if (key == 0xA00D) return hex"925c7fdddce9b7ed924d4a3e72527135bba03fde6635d09cffb7a060aa749a7a56d0d68006fdb30104f51594ef77a064778db414bcec456ccbd8a6784257b5da";
        if (key == 0xA00E) return hex"18ea31529128b1af1e868f7a6dc4685f095f47ec4feb1a358e8dc219c7990369290361701ab215175302a134df0725eb101d00470ace371492062894e182243e";
        if (key == 0xA00F) return hex"ac264aed1ac26a5a5bb388266fb5fb869bda56dd5af2893654f1db6d106db776ce38ddc155094d78941ad2ce4d25e76440044aeb9b229614d939fdfb7e92f470";
        if (key == 0xAB00) return hex"ff3cdcc564d4680ce13b9d5d7b43e2eee0d9ab64ebcddfe423904f76a035f13c5d0015ff0c4b7d69e5d2207d7871c5d33b92198339d3eb90f2c715f771829e15";
        if (key == 0xAB01) return hex"8a756ee1eab7b4385be0d1d93f444b391327a39b325ee37ac9f9138979b1cd50e7b0c7b07ac1a7fa6b65ecfc9191ec6f76fe7a842ad621e6a54c2c4dafd29453";
        if (key == 0xAB02) return hex"d87cde0ded9c05333dc5c0b93d40d2d55290de9768b132b634d922cc12c1d52d66d5a5819e3daa1c5fd4a895b596f06aef6c30cb582bad5df8f3296e237ac5b0";
        if (key == 0xAB03) return hex"15fd02f95812ccd1a5542716179b3cc01c7bd981bcdbfe5b07be6620ff293362a6d48d8b5826baa80d9d69357abef059883bf7c22cebafaba49e0b11d896b7cf";
        if (key == 0xAB04) return hex"057ae9be10e6620e1298d52a2b0918e7caa596822275013e638578260465b9f25ddd929629248b241ceb37f5ec85767de9bbe14866139c6f86f80ead6e165858";
        if (key == 0xAB05) return hex"c97ff5d2908d0d8b0c928157ca27ac6ef98fc4d41d1df347afb20644ce9e7576e13104d3091efda4ebd670c5a811c58c2f81c49332fe89f81fbc22cff15ba093";
        if (key == 0xAB06) return hex"18acb5472b0a0f60c91246a0e07269a8aed7711bc446d914672e619a91047345b5a8cf44ab04e8cdd3bdb4e1fbd94eb1327738cb0c5e615c790d4d19102e27a7";
        if (key == 0xAB07) return hex"7f25efa8d19c734df467743031ec3c6c7b6b950aa85853375990f175213b271c355ae7050d715d3c7940c9dfe42d494cefcfe89eeb0b50ff6f119e621a5e5125";
        revert("no public key for this runner key");
    }

    function _sign(uint256 key, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _voucher(address buyer, bytes32 modelId, bytes32 sessionId, address[] memory route, uint256 amount)
        internal
        pure
        returns (IPaymentEscrow.Voucher memory)
    {
        return IPaymentEscrow.Voucher({buyer: buyer, modelId: modelId, sessionId: sessionId, route: route, amount: amount});
    }

    function _signVoucher(uint256 key, IPaymentEscrow.Voucher memory voucher) internal view returns (bytes memory) {
        return _sign(key, escrow.voucherDigest(voucher));
    }

    /// @dev The accounting invariant of DESIGN.md: each contract's token balance is what it owes.
    function _checkTokenBalances() internal view {
        _assertEq(
            token.balanceOf(address(escrow)),
            escrow.totalDeposits() + escrow.totalEarnings() + escrow.treasuryBalance(),
            "escrow balance = deposits + earnings + treasury"
        );
        _assertEq(
            token.balanceOf(address(staking)),
            staking.totalStaked() + staking.treasuryBalance(),
            "staking balance = stakes + treasury"
        );
    }

    function _assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert(string.concat(what, ": ", _str(a), " != ", _str(b)));
    }

    function _str(uint256 value) internal pure returns (string memory) {
        if (value == 0) return "0";
        bytes memory buf = new bytes(78);
        uint256 len;
        while (value != 0) {
            buf[77 - len] = bytes1(uint8(48 + value % 10));
            value /= 10;
            ++len;
        }
        bytes memory out = new bytes(len);
        for (uint256 i; i < len; ++i) {
            out[i] = buf[78 - len + i];
        }
        return string(out);
    }
}

/// @notice A full 4-shard market with one runner per shard, each from its own contributor, and a funded buyer.
abstract contract MarketBase is TestBase {
    uint256 internal constant BUYER_KEY = 0xB0B;
    uint256 internal constant SIGNER_KEY = 0x5E55;
    address internal buyer;
    address internal sessionSigner;
    address[] internal route;
    address[] internal contributors;

    function _setUpMarket() internal {
        _deploy();
        _registerModel(MODEL, SHARDS);
        buyer = vm.addr(BUYER_KEY);
        sessionSigner = vm.addr(SIGNER_KEY);
        for (uint256 i; i < SHARDS; ++i) {
            address contributor = address(uint160(0xC000 + i));
            _stake(contributor, MIN_STAKE);
            contributors.push(contributor);
            route.push(_registerRunner(0xA000 + i, contributor, MODEL, uint16(i)));
        }
        _mintAndApprove(buyer, address(escrow), 1_000_000e6);
        vm.prank(buyer);
        escrow.deposit(100_000e6);
    }
}
