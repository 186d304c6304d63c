import pytest
import yaml

from prunelab.plumbing.config import ConfigError, merge_config, validate_config
from conftest import REPO


def load(name):
    return yaml.safe_load((REPO / name).read_text())


def test_empty_config_gets_experiment_c_defaults():
    config = validate_config({})
    assert config["datasets"] == ["digits", "fashion"]
    assert config["regularizers"] == ["none", "l1", "l2"]
    assert config["regularization_strength"] == {"l1": 0.001, "l2": 0.01}
    assert config["training"]["epochs"] == 20 and config["training"]["batch_size"] == 128
    assert config["training"]["validation_size"] == 10000
    assert len(config["pruning"]["k"]) == 12 and config["pruning"]["methods"] == ["weight", "unit"]
    assert config["architectures"]["dense"]["hidden"] == [1000, 1000, 500, 200]
    assert config["architectures"]["cnn"]["conv"] == [32, 64, 64] and config["pruning"]["layers"] == "all_but_output"
    assert [s["kind"] for s in config["data"]["sources"]["digits"]] == ["url", "url", "pypi"]


def test_shipped_configs_are_valid_and_default_matches_schema_defaults():
    default = validate_config(load("config.yaml"))
    assert default == validate_config({})
    validate_config(merge_config(load("config.yaml"), load("tests/smoke.yaml")))


def test_built_in_architectures_stay_defined_beside_a_configs_own():
    config = validate_config({"models": ["dense", "r8"], "architectures": {"r8": {"type": "resnet", "depth": 8}}})
    assert config["architectures"]["dense"]["hidden"] == [1000, 1000, 500, 200]
    assert config["architectures"]["cnn"]["conv"] == [32, 64, 64] and config["architectures"]["r8"]["depth"] == 8
    replaced = validate_config({"architectures": {"dense": {"type": "dense", "hidden": [64]}}})
    assert replaced["architectures"]["dense"]["hidden"] == [64] and "cnn" in replaced["architectures"]


@pytest.mark.parametrize("config, expected", [
    ({"datasets": ["digits", "cifar"]}, "datasets[1]: 'cifar' is not allowed; allowed values: digits, fashion"),
    ({"pruning": {"methods": ["magic"]}}, "pruning.methods[0]: 'magic' is not allowed; allowed values: weight, unit"),
    ({"regularizers": ["l3"]}, "allowed values: none, l1, l2"),
    ({"pruning": {"k": [0.5, 1.0]}}, "pruning.k[1]: 1.0 is greater than or equal to the maximum of 1"),
    ({"pruning": {"k": [-0.1]}}, "pruning.k[0]: -0.1 is less than the minimum of 0"),
    ({"pruning": {"k": []}}, "pruning.k: [] should be non-empty"),
    ({"training": {"epochs": -1}}, "training.epochs: -1 is less than the minimum of 1"),
    ({"training": {"epochs": "ten"}}, "training.epochs: 'ten' is not of type 'integer'"),
    ({"seeds": []}, "seeds: [] should be non-empty"),
    ({"trainig": {}}, "(top level): unknown key(s) 'trainig'; allowed keys: architectures, custom_datasets, custom_models, data,"),
    ({"training": {"epoch": 3}}, "training: unknown key(s) 'epoch'; allowed keys: augment, backend, batch_size, epochs,"),
    ({"training": {"backend": "torch"}}, "training.backend: 'torch' is not allowed; allowed values: tensorflow, jax"),
    ({"training": {"backend": "jax", "onednn": True}}, "training.onednn: TensorFlow's oneDNN setting; with "
                                                       "training.backend: jax it must stay false"),
    ({"models": ["vgg"]}, "models: vgg not defined under architectures or custom_models (defined: cnn, dense)"),
    ({"training": {"augment": {"crop": 4}}}, "training.augment: crops and flips images, and model 'dense' (dense) is "
                                             "fed flat vectors"),
    ({"training": {"keep": "val_acc"}}, "training.keep: 'val_acc' is not allowed; allowed values: val_loss, "
                                        "val_accuracy, last"),
    ({"models": ["r"], "architectures": {"r": {"type": "resnet", "depth": 21}}},
     "architectures.r.depth: a ResNet has 6n + 2 layers (8, 14, 20, 32, 44, 56, 110, ...), not 21; the nearest are "
     "20 and 26"),
    ({"models": ["v"], "architectures": {"v": {"type": "vgg", "depth": 15}}},
     "architectures.v.depth: 15 is not allowed; allowed values: 11, 13, 16, 19"),
    ({"models": ["v"], "architectures": {"v": {"type": "vit", "dim": 10, "heads": 4}}},
     "architectures.v.dim: 10 features do not split into 4 heads"),
    ({"models": ["v"], "architectures": {"v": {"type": "vit", "patch": 5}}},
     "models: v, on dataset digits: a vit of patch 5 takes images whose height and width it divides, not (28, 28)"),
    ({"models": ["v"], "architectures": {"v": {"type": "vit", "heads": 0}}},
     "architectures.v.heads: 0 is less than the minimum of 1"),
    ({"models": ["r"], "architectures": {"r": {"type": "resnet", "depth": 8}},
      "pruning": {"methods": ["unit_refit"], "k": [0, 0.99], "layers": ["s2b1_conv1"]}},
     "pruning.k: [0.99] would remove all 32 units of layer 3 of model 'r', leaving unit_refit nothing to refit from"),
    ({"models": ["r"], "architectures": {"r": {"type": "resnet", "depth": 8}}, "pruning": {"layers": ["s2b1_cnv1"]}},
     "pruning.layers: model 'r': layers ['s2b1_cnv1']: no layer 's2b1_cnv1'; the prunable layers are conv, "
     "s1b1_conv1, s1b1_conv2, s2b1_conv1, s2b1_shortcut, s2b1_conv2"),
    ({"pruning": {"layers": [0, "dense_1"]}},
     "pruning.layers: model 'dense': layers [0, 'dense_1']: no layer 'dense_1'; the prunable layers are dense0, dense1"),
    ({"finetune": {"epochs": [0, 3], "methods": ["unit", "snip"]}},
     "finetune.methods: ['snip'] not in pruning.methods (weight, unit)"),
    ({"pruning": {"methods": ["weight", "n_of_m", "snip"]}, "efficiency": {"export": ["weight", "n_of_m", "snip"]}},
     "efficiency.export: ['n_of_m', 'snip'] not among the one-shot methods of pruning.methods on its k grid (weight)"),
    ({"efficiency": {"export": "unit"}}, "efficiency.export: 'unit' is not allowed; allowed: boolean; or array of string"),
    ({"models": ["mine"], "custom_models": {"mine": "nowhere.py:build"}},
     "custom_models.mine: no file 'nowhere.py' in the working directory"),
    ({"custom_models": {"dense": "tests/custom_model.py:build"}},
     "custom_models.dense: the name of an architecture already; choose another"),
    ({"custom_models": {"mine": "tests/custom_model.py"}},
     "custom_models.mine: 'tests/custom_model.py' is neither a build function \"file.py:build\" nor a model "
     "trained elsewhere {file: model.keras, dataset: <one of datasets>}"),
    ({"pruning": {"layers": "conv"}}, "pruning.layers: 'conv' selects no layer of model 'dense'"),
    ({"pruning": {"layers": [0, 5]}}, "pruning.layers: model 'dense' has layers 0..4, not 5"),
    ({"architectures": {"cnn": {"type": "cnn", "conv": [8], "pool": [True, True], "hidden": []}}, "models": ["cnn"]},
     "architectures.cnn.pool: needs one entry per convolution (1), got 2"),
    ({"architectures": {"x": {"type": "rnn"}}}, "architectures.x.type: 'rnn' is not allowed; allowed values: dense, cnn"),
    ({"architectures": {"dense": {"type": "dense", "hidden": [8], "pool": [True]}}},
     "architectures.dense: unknown key(s) 'pool'; allowed keys: bias, hidden, initializer, standardize, type"),
    ({"architectures": {"dense": {"type": "dense", "hidden": [8], "initializer": "xavier"}}},
     "architectures.dense.initializer: 'xavier' is not allowed; allowed values: glorot_uniform, glorot_normal, "
     "lecun_uniform, lecun_normal, he_uniform, he_normal"),
    ({"architectures": {"dense": {"type": "dense", "hidden": [8], "standardize": {"mean": 0.13, "std": 0}}}},
     "architectures.dense.standardize.std: 0 is less than or equal to the minimum of 0"),
    ({"architectures": {"dense": {"type": "dense", "hidden": [8], "standardize": {"mean": 0.13}}}},
     "architectures.dense.standardize: 'std' is a required property"),
    ({"training": {"validation_size": 50000, "train_size": 20000}}, "exceeds the 60000 training images"),
    ({"training": {"validation_size": 59950}}, "training.validation_size: 59950 of the 60000 training images of "
     "dataset digits leaves 50 to train on, fewer than one batch (training.batch_size 128)"),
    ({"data": {"sources": {"digits": [{"kind": "ftp", "base": "x"}]}}}, "is not a valid source"),
    ({"finetune": {"rounds": [0]}}, "finetune.rounds[0]: 0 is less than the minimum of 1"),
    ({"training": {"precision": "float16"}}, "training.precision: 'float16' is not allowed; allowed values: float32, "
                                             "bfloat16"),
    ({"training": {"precision": "bfloat16"}}, "training.precision: bfloat16 needs training.onednn: true"),
    ({"finetune": {"epochs": [0, 2, 5], "rounds": [1, 3]}},
     "finetune.rounds: [3] exceed the fewest fine-tuning epochs (2); every round needs at least one epoch"),
    # the methods that prune without retraining
    ({"pruning": {"methods": ["wanda"], "calibration": {"images": 50001}}},
     "pruning.calibration.images: 50001 exceeds the 50000 training images after the 10000 validation images"),
    ({"pruning": {"methods": ["sparsegpt"], "sparsegpt": {"block": 0}}},
     "pruning.sparsegpt.block: 0 is less than the minimum of 1"),
    ({"pruning": {"methods": ["sparsegpt_n_of_m"], "sparsegpt": {"block": 126}}},
     "pruning.sparsegpt.block: 126 is not a multiple of m = 4"),
    ({"pruning": {"methods": ["wanda_n_of_m"], "n_of_m": [2, 3]}},
     "pruning.n_of_m: m = 3 does not divide the fan-in 784 of layer 0"),
    ({"pruning": {"methods": ["unit_refit"]}},
     "pruning.k: [0.999] would remove all 200 units of layer 3 of model 'dense'"),
    ({"pruning": {"methods": ["wanda"], "wanda": {"group": "row"}}},
     "pruning.wanda.group: 'row' is not allowed; allowed values: unit, layer"),
    # the training protocol
    ({"training": {"momentum": 1}}, "training.momentum: 1 is greater than or equal to the maximum of 1"),
    ({"training": {"optimizer": "rmsprop"}}, "training.optimizer: 'rmsprop' is not allowed; allowed values: adam, sgd"),
    ({"training": {"schedule": "linear"}}, "training.schedule: 'linear' is not allowed; allowed values: constant, "
                                           "step, cosine, inv"),
    ({"training": {"schedule": "step", "milestones": [10, 5], "gamma": 0.1}}, "training.milestones: [10, 5] must "
                                                                             "increase"),
    ({"training": {"schedule": "step", "milestones": [5, 25], "gamma": 0.1}}, "training.milestones: [25] not before "
                                                                             "the last epoch of 20"),
    ({"training": {"schedule": "step", "milestones": [5]}}, "training.schedule: 'step' needs training.gamma"),
    ({"training": {"schedule": "cosine", "milestones": [5]}}, "training.milestones: a setting of another schedule, "
                                                              "not of schedule 'cosine'"),
    ({"training": {"warmup_epochs": 21}}, "training.warmup_epochs: 21 is longer than the training's 20 epochs"),
    ({"training": {"momentum": 0.9}}, "training.momentum: Adam has no momentum setting"),
    ({"training": {"nesterov": True}}, "training.momentum: Adam has no momentum setting"),
    ({"finetune": {"epochs": [0, 3], "schedule": "inv", "gamma": 0.0001}}, "finetune.schedule: 'inv' needs "
                                                                           "finetune.power"),
])
def test_bad_values_name_the_key_and_what_is_allowed(config, expected):
    with pytest.raises(ConfigError) as error:
        validate_config(config)
    assert expected in str(error.value)


def test_an_architecture_without_its_type_is_one_problem_not_every_types_requirements():
    with pytest.raises(ConfigError) as error:
        validate_config({"architectures": {"dense": {"initializer": "lecun_normal"}}})
    assert str(error.value).splitlines()[1:] == ["  - architectures.dense: 'type' is a required property"]


def test_all_problems_are_reported_at_once():
    with pytest.raises(ConfigError) as error:
        validate_config({"datasets": ["x"], "training": {"epochs": 0}})
    assert "datasets[0]" in str(error.value) and "training.epochs" in str(error.value)


def test_merge_config_merges_nested_keys_like_snakemake_and_copies():
    base = {"training": {"epochs": 20, "batch_size": 128}, "datasets": ["digits", "fashion"]}
    override = {"training": {"epochs": 2}, "datasets": ["digits"]}
    assert merge_config(base, override) == {"training": {"epochs": 2, "batch_size": 128}, "datasets": ["digits"]}
    assert base["training"]["epochs"] == 20 and override == {"training": {"epochs": 2}, "datasets": ["digits"]}


def test_config_yaml_shows_the_keys_people_edit_at_exactly_the_schemas_defaults():
    from prunelab.plumbing.config import load_schema

    def leaves(mapping, prefix=()):
        for key, value in mapping.items():
            if isinstance(value, dict) and value:
                yield from leaves(value, (*prefix, key))
            else:
                yield (*prefix, key), value

    def default(schema, path):
        for key in path:
            schema = schema["properties"][key]
        return schema["default"]

    shown = dict(leaves(load("config.yaml")))
    assert len(shown) >= 12 and ("pruning", "methods") in shown
    schema = load_schema()
    assert {path: default(schema, path) for path in shown} == shown


def test_the_configuration_reference_is_generated_from_the_schema():
    from prunelab.plumbing.config import load_schema, reference

    assert (REPO / "docs" / "configuration.md").read_text() == reference(), "run `make docs`"
    documented = (REPO / "docs" / "configuration.md").read_text()
    assert all(f"`pruning.{key}`" in documented for key in load_schema()["properties"]["pruning"]["properties"])



def test_graph_models_take_layer_names_and_file_their_results_under_them():
    from prunelab.methods.scope import scope_name

    config = validate_config({"models": ["r"], "architectures": {"r": {"type": "resnet", "depth": 8}},
                              "pruning": {"layers": ["s2b1_conv1", 0], "methods": ["weight", "unit"]}})
    assert scope_name(config["pruning"]["layers"]) == "layers_0_s2b1_conv1"


def test_an_attentions_projections_are_named_in_pruning_layers():
    """A ViT's query and output projections by name (Keras's variable paths), filed under one path
    segment; a name that is no prunable layer is refused with the ones that are."""
    from prunelab.methods.scope import scope_name

    vit = {"v": {"type": "vit", "patch": 4, "dim": 32, "depth": 1, "heads": 2, "mlp": 64}}
    config = validate_config({"models": ["v"], "architectures": vit, "pruning": {
        "layers": ["block1_attention/query", "block1_attention/attention_output"], "methods": ["weight"]}})
    assert scope_name(config["pruning"]["layers"]) == "layers_block1_attention.attention_output_block1_attention.query"
    with pytest.raises(ConfigError, match="no layer 'block1_attention'.*block1_attention/key"):
        validate_config({"models": ["v"], "architectures": vit, "pruning": {"layers": ["block1_attention"]}})


def test_inner_prunes_a_vits_blocks_and_keeps_its_patch_projection_and_classifier():
    from prunelab.methods.scope import layer_indices, layer_names

    vit = {"type": "vit", "patch": 4, "dim": 32, "depth": 1, "heads": 2, "mlp": 64}
    names = layer_names(vit)
    kinds = ["dense"] * len(names)
    assert [names[i] for i in layer_indices(kinds, "inner", names)] == [
        "block1_attention/query", "block1_attention/key", "block1_attention/value",
        "block1_attention/attention_output", "block1_fc1", "block1_fc2"]
    validate_config({"models": ["v"], "architectures": {"v": vit}, "pruning": {"layers": "inner"}})
