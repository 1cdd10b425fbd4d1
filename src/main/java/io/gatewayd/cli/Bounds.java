package io.gatewayd.cli;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The values a numeric option accepts, checked by {@link OptionRange} for every option and
 * named in its message, including for a value past the field's type that picocli cannot even
 * convert. Strings rather than numbers so that one annotation serves whole and decimal options
 * and a bound at the edge of {@code long} is exact.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
@interface Bounds {
    /** The least value accepted, a decimal number. */
    String min();

    /** The greatest value accepted, a decimal number. */
    String max();

    /** Follows the range in the message: "seconds", "per second". */
    String unit() default "";

    /** Follows the range in the message, in parentheses: what a special value means. */
    String note() default "";
}
