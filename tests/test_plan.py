import pytest

from prunelab.plumbing.config import validate_config
from prunelab.plumbing.paths import format_number
from prunelab.plumbing.plan import Plan, finetune_ids, trained_models, training_id, training_specs
from prunelab.results.plotting import model_label

DENSE = {"type": "dense", "hidden": [1000, 1000, 500, 200], "bias": False}
BEFORE_KEEP = {"keep": "val_loss"}
"""What training kept before ``training.keep`` existed: models kept so keep the ids they had."""


@pytest.mark.parametrize("value, text", [(0, "0"), (0.25, "0.25"), (0.995, "0.995"), (1e-5, "0.00001"),
                                         (0.001, "0.001")])
def test_format_number(value, text):
    assert format_number(value) == text


def test_training_ids_are_readable_and_versioned():
    ids = sorted(training_specs(validate_config({})))
    assert [i.rsplit("-", 1)[0] for i in ids] == ["dense-l1_0.001-e20", "dense-l2_0.01-e20", "dense-none-e20"]


def test_changing_one_lambda_changes_only_that_regularizers_id():
    before = set(training_specs(validate_config({})))
    after = set(training_specs(validate_config({"regularization_strength": {"l2": 0.02}})))
    changed = sorted(before ^ after)
    assert len(changed) == 2 and all("-l2_" in i for i in changed)


@pytest.mark.parametrize("change", [
    {"training": {"learning_rate": 0.01}}, {"training": {"threads": 2}}, {"training": {"train_size": 100}},
    {"training": {"precision": "bfloat16", "onednn": True}}, {"training": {"backend": "jax"}},
    {"training": {"keep": "val_loss"}}, {"training": {"keep": "last"}},
    {"architectures": {"dense": {"type": "dense", "hidden": [10], "bias": False}}},
    {"architectures": {"dense": {**DENSE, "initializer": "lecun_normal"}}},
    {"architectures": {"dense": {**DENSE, "standardize": {"mean": 0.1307, "std": 0.3081}}}},
])
def test_every_training_setting_changes_every_id(change):
    before = set(training_specs(validate_config({})))
    assert before.isdisjoint(training_specs(validate_config(change)))


def test_tensorflow_training_ids_are_those_made_before_the_backend_option():
    default = training_specs(validate_config({"training": BEFORE_KEEP}))
    assert default == training_specs(validate_config({"training": {**BEFORE_KEEP, "backend": "tensorflow"}}))
    assert "dense-none-e20-271fffeb" in default and all("backend" not in spec for spec in default.values())
    jax = training_specs(validate_config({"training": {**BEFORE_KEEP, "backend": "jax"}}))
    assert set(jax).isdisjoint(default) and all(spec["backend"] == "jax" for spec in jax.values())


def test_the_default_keeps_the_highest_validation_accuracy_and_val_loss_models_keep_their_ids():
    default = training_specs(validate_config({}))
    assert "dense-none-e20-58f14f66" in default and all(spec["keep"] == "val_accuracy" for spec in default.values())
    before = training_specs(validate_config({"training": BEFORE_KEEP}))
    assert "dense-none-e20-271fffeb" in before and all("keep" not in spec for spec in before.values())


def test_keep_is_not_in_the_id_without_a_validation_split():
    """Without held-out images the last epoch is kept whatever ``keep`` says: one id for all."""
    ids = [set(training_specs(validate_config({"training": {"validation_size": 0, "keep": keep}})))
           for keep in ("val_loss", "val_accuracy", "last")]
    assert ids[0] == ids[1] == ids[2]


def test_float32_training_ids_are_those_made_before_the_precision_option():
    specs = training_specs(validate_config({"training": {**BEFORE_KEEP, "precision": "float32"}}))
    assert "dense-none-e20-271fffeb" in specs and all("precision" not in spec for spec in specs.values())
    bfloat16 = training_specs(validate_config({"training": {"precision": "bfloat16", "onednn": True}}))
    assert all(spec["precision"] == "bfloat16" for spec in bfloat16.values())


def test_threads_and_onednn_left_null_follow_the_architecture_and_an_explicit_setting_keeps_the_old_id():
    """Convolutional and attention models train on 2 threads with oneDNN unless told otherwise,
    dense models on one without (their ids above do not move); set explicitly, the old setting
    gives the id a CNN had before the per-architecture defaults."""
    config = {"models": ["cnn", "resnet20", "vit"], "regularizers": ["none"],
              "architectures": {"resnet20": {"type": "resnet", "depth": 20}, "vit": {"type": "vit"}}}
    specs = training_specs(validate_config(config))
    assert {spec["model"]: (spec["threads"], spec["onednn"]) for spec in specs.values()} == {
        "cnn": (2, True), "resnet20": (2, True), "vit": (2, True)}
    dense = training_specs(validate_config({"regularizers": ["none"]}))
    assert [(spec["threads"], spec["onednn"]) for spec in dense.values()] == [(1, False)]
    old = training_specs(validate_config({**config, "models": ["cnn"], "training": {"threads": 1, "onednn": False}}))
    assert list(old) == ["cnn-none-e20-29ce684c"]
    explicit = training_specs(validate_config({**config, "training": {"threads": 3}}))
    assert {(spec["threads"], spec["onednn"]) for spec in explicit.values()} == {(3, True)}
    jax = training_specs(validate_config({**config, "training": {"backend": "jax"}}))
    assert {(spec["threads"], spec["onednn"]) for spec in jax.values()} == {(1, False)}


def test_trainings_cover_datasets_regularizers_and_seeds():
    runs = trained_models(validate_config({"seeds": [0, 1]}))
    assert len(runs) == 2 * 3 * 2
    assert {r.seed for r in runs} == {0, 1}


def test_model_label():
    expected = "digits · dense-none-e20-abc · seed 3"
    assert model_label("results/models/digits/dense-none-e20-abc/seed3/curves.png") == expected
    assert model_label("results/x/distributions/digits/dense-none-e20-abc/seed3.png") == expected


def test_fine_tuning_ids_name_epochs_rounds_and_optimizer():
    ids = finetune_ids(validate_config({"finetune": {"epochs": [0, 2, 4], "rounds": [1, 2]}}))
    assert list(ids) == ["ft2-lr0.0001-b128", "ft2r2-lr0.0001-b128", "ft4-lr0.0001-b128", "ft4r2-lr0.0001-b128"]
    assert ids["ft4r2-lr0.0001-b128"] == {"epochs": 4, "rounds": 2, "learning_rate": 0.0001, "batch_size": 128}
    assert finetune_ids(validate_config({})) == {}  # one-shot only by default


def test_latency_records_are_named_by_what_they_time():
    default = Plan(validate_config({})).latency_id()
    assert default.startswith("weight_unit-k12-") and default == Plan(validate_config({})).latency_id()
    others = [{"pruning": {"k": [0, 0.5]}}, {"pruning": {"methods": ["weight"]}},
              {"efficiency": {"latency_repeats": 7}}, {"efficiency": {"latency_batch_sizes": [1]}}]
    assert len({default, *(Plan(validate_config(change)).latency_id() for change in others)}) == 5


def test_augmentation_versions_the_models_it_trains_and_stays_out_of_the_id_when_off():
    cnn = {"models": ["cnn"]}
    plain = training_specs(validate_config(cnn))
    assert plain == training_specs(validate_config({**cnn, "training": {"augment": {"crop": 0, "flip": False}}}))
    augmented = training_specs(validate_config({**cnn, "training": {"augment": {"crop": 4, "flip": True}}}))
    assert set(augmented).isdisjoint(plain)
    assert all(spec["augment"] == {"crop": 4, "flip": True, "version": 2} for spec in augmented.values())
    # the draws' version keeps results of the earlier batch order (version 1, unrecorded) apart
    earlier = {training_id({**spec, "augment": {"crop": 4, "flip": True}}) for spec in augmented.values()}
    assert earlier.isdisjoint(augmented)


def test_the_kept_epoch_rule_versions_fine_tuning_only_when_not_the_lowest_validation_loss():
    from prunelab.plumbing.plan import finetune_ids

    default = finetune_ids(validate_config({"finetune": {"epochs": [0, 2]}}))
    assert list(default) == ["ft2-lr0.0001-b128"]
    assert default == finetune_ids(validate_config({"finetune": {"epochs": [0, 2], "keep": "val_loss"}}))
    [last] = finetune_ids(validate_config({"finetune": {"epochs": [0, 2], "keep": "last"}}))
    assert last.startswith("ft2-lr0.0001-b128-") and last not in default
